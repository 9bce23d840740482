/**
 * DAST inputs: per-atom rotation-invariant 3D Zernike descriptors of the local density and the atom
 * neighbour graph with edge features (the graph attention Transformer itself lives elsewhere).
 */
export { ballGrid, gaussLegendre, sampleLocalDensity } from './local-density';
export type { BallGrid, LocalDensityOptions } from './local-density';
export {
  evaluateZernike,
  MAX_ZERNIKE_ORDER,
  minimumGridSize,
  realSphericalHarmonics,
  zernikeGridBasis,
  zernikeIndex,
  zernikeMomentIndex,
  zernikeRadial,
} from './zernike-basis';
export type { ZernikeGridBasis, ZernikeIndex } from './zernike-basis';
export {
  DEFAULT_ZERNIKE_ORDER,
  DEFAULT_ZERNIKE_RADIUS_A,
  zernikeDescriptorLength,
  zernikeDescriptorNames,
  zernikeDescriptors,
  zernikeDescriptorsAsync,
  zernikeInvariants,
  zernikeMoments,
} from './zernike';
export type { ZernikeDescriptorOptions, ZernikeNormalization } from './zernike';
export { buildAtomGraph, edgeFeatureNames, edgeFeatures } from './graph';
export type { AtomGraph, AtomGraphOptions, EdgeFeatureOptions } from './graph';
