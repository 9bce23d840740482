/** Tomographic reconstruction: projector pair, RESIRE / SIRT / WBP reconstruction, tilt-series alignment. */
export { Projector, forwardProject, backProject, packRotations } from './projector';
export { ParallelProjector, workersAvailable } from './projector-workers';
export { reconstruct, reconstructDetailed, DEFAULT_ITERATIONS, DEFAULT_STEP } from './reconstruct';
export type { ReconstructOptions, ReconstructionResult, ReconstructionMethod } from './reconstruct';
export { rampResponse, filterRows } from './filters';
export type { RampWindow } from './filters';
export { alignTiltSeries, centreOfMassPx, shiftImage, shiftTiltSeries, bestLag } from './align';
export type { AlignOptions, AlignResult, AlignmentMethod } from './align';
