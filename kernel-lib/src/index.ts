/**
 * @pann-aet/kernel — the public API a notebook imports:
 *
 *   import * as pann from '@pann-aet/kernel';
 *   const s = new pann.PipelineSession();
 *
 * Every stage is a plain (async) function with an options object whose fields carry their units;
 * `PipelineSession` only keeps results by name. See docs/ and each module's doc comments.
 */
export * from './core/types';
export * from './core/errors';
export * from './core/rng';
export * from './core/geometry';
export * from './core/frame';
export * from './core/elements';
export * from './io';
export * from './sim';
export * from './recon';
export * from './preprocess/background';
export * from './trace';
export * from './classify';
export * as dast from './classify/dast';
export * from './metrics';
export * from './pipeline/run';
export { runOnFiles, loadTiltSeries } from './pipeline/run-files';
export type { RunFilesOptions, Summary } from './pipeline/run-files';
export { runDemo } from './pipeline/demo';
export { truthInVolumeFrame } from './pipeline/truth-frame';
export type { TruthFrame } from './pipeline/truth-frame';
export type { DemoOptions, DemoReport } from './pipeline/demo';
export { Session } from './session/session';
export type { SessionMemory } from './session/session';
export { PipelineSession } from './session/stages';
export { validateDocument } from './schema/validate';
export * as view from './view';
export * from './engine';
export * as nn from './nn';
export * as refine from './refine';
export { refineVolume } from './refine';
export type { RefineVolumeOptions } from './refine';
export { classifyDast } from './classify/dast';
export type { DastClassifyOptions } from './classify/dast';
import { trainGlare, trainUnet, refineVolume as refineWith } from './refine';
import type { RefineVolumeOptions as RefineOpts } from './refine';
import type { Volume as Vol } from './core/types';
/** Notebook shorthand for GLARE: `await pann.glare.train({...})`, `await pann.glare.refine(volume)`. */
export const glare = {
  train: trainGlare,
  refine: (volume: Vol, opts: Omit<RefineOpts, 'method'> = {}) => refineWith(volume, { ...opts, method: 'glare' }),
};
/** Notebook shorthand for the plain U-Net baseline. */
export const unet = {
  train: trainUnet,
  refine: (volume: Vol, opts: Omit<RefineOpts, 'method'> = {}) => refineWith(volume, { ...opts, method: 'unet' }),
};
