/** The pann-aet Jupyter kernel (tslab + comms) and its comm API. */
export { Comm, CommManager, commManager, type CommBuffer, type CommMessage, type CommTargetHandler, type KernelChannel } from './comm';
export { installKernelSpec, kernelSpec, KERNEL_DISPLAY_NAME, KERNEL_NAME, type InstallOptions, type KernelSpec } from './kernelspec';
export { patchTslab, startKernel, TSLAB_VERSION } from './launcher';
