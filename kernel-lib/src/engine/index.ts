/**
 * Compute engine plumbing: tfjs backend choice, ONNX Runtime sessions and providers, tfjs gradients
 * and fast cpu kernels.
 */
export { initBackend, backendInfo, BACKEND_CHAIN } from './backend';
export type { BackendInfo, BackendCandidate, BackendDeps } from './backend';
export { chooseOrtProviders, createOrtSession, loadOrt, ortSessionOptions } from './ort';
export type { OrtProviderInfo } from './ort';
export { registerTfjsGradients } from './tfjs-gradients';
export { registerFastCpuKernels } from './tfjs-cpu-kernels';
export { OnnxGraph, ONNX_OPSET } from './onnx-graph';
