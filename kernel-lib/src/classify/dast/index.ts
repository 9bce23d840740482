/**
 * DAST: species classification of traced atoms from 3D Zernike descriptors of the local density, intensity
 * and geometry features and a graph attention Transformer over the atom neighbour graph. The network
 * predicts a species-agnostic brightness score; `assign.ts` maps it to any user-named element set.
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
export { classifyDast } from './classify';
export type { DastClassifyOptions } from './classify';
export { assignSpecies, brightnessScore, rebalance, BRIGHTNESS_EXPONENT } from './assign';
export type { AssignOptions, SpeciesAssignment } from './assign';
export { computeDastFeatures, nodeFeatureCount, DEFAULT_FEATURE_CONFIG } from './features';
export type { DastFeatureConfig, DastFeatures } from './features';
export {
  buildDastNetwork,
  buildDastTrainingNetwork,
  initDastWeights,
  DAST_INPUTS,
  DAST_OUTPUT,
} from './network';
export type { DastNetConfig } from './network';
export { loadDastModel, saveDastModel, defaultModelDir, clearDastModelCache } from './model-store';
export type { DastModel, DastModelConfig } from './model-store';
export { predictScores, networkInputs } from './predict';
export {
  makeDastSample,
  randomScenario,
  scenarioSimOptions,
  simulateAndTrace,
  sampleToJson,
  sampleFromJson,
  TRAIN_ELEMENTS,
  HELD_OUT_ELEMENTS,
  HELD_OUT_SETS,
  LABEL_MATCH_RADIUS_A,
} from './dataset';
export type { DastScenario, DastSample } from './dataset';
export { trainDast, readSamples, evaluateSamples } from './train';
export type { TrainDastOptions, TrainDastResult } from './train';
export { trainCommand, generateDastData } from './cli';
export type { GenerateDastDataOptions } from './cli';
/** Notebook shorthands: `await pann.dast.train({...})`, `await pann.dast.classify(atoms, volume, { species })`. */
export { trainDast as train } from './train';
export { classifyDast as classify } from './classify';
