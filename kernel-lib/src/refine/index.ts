/** The refine stage: GLARE (global–local residual 3D U-Net with physics-informed training) and the plain U-Net baseline. */
export { refineVolume, loadRefineModel, defaultModelDir, runRefineNetwork } from './infer';
export type { RefineModel, RefineVolumeOptions, RunNetworkOptions } from './infer';
export { trainRefiners, trainGlare, trainUnet } from './training';
export type { TrainOptions, TrainStepEvent, PhysicsExposure } from './training';
export { trainCommand, trainCommandBuilder } from './cli';
export { buildRefineNetwork, DEFAULT_ARCH, GLOBAL_EDGE } from './model';
export type { RefineArch, RefineNet } from './model';
export { sampleSpec, makePair, independentExposure, validationSpecs, testSpecs, targetWeights, SAMPLE_EDGE, TEST_DOSES, TEST_MORPHOLOGIES, VALIDATION_SEED_BASE, TEST_SEED_BASE } from './data';
export type { SampleSpec, TrainingPair } from './data';
export { physicsContext, physicsGradient, DEFAULT_PHYSICS } from './physics';
export type { PhysicsWeights, PhysicsContext } from './physics';
export { robustScale } from './volume-ops';
export { refinedThreshold, REFINED_CUT_FRACTION } from './threshold';
export type { RefinedThresholdOptions } from './threshold';
export { liveLossPlot, lossChartSvg } from './live';

import { refineVolume } from './infer';
import { liveLossPlot } from './live';
import { trainGlare, trainUnet } from './training';
/** Notebook namespace: `await pann.glare.train({ maxSteps: 600, onStep: pann.glare.liveLossPlot(display.html) })`. */
export const glare = { train: trainGlare, trainUnet, refine: refineVolume, liveLossPlot };
