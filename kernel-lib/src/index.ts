/** @pann-aet/kernel — the public API a notebook imports (`import * as pann from '@pann-aet/kernel'`). */
export * from './core/types';
export * from './core/errors';
export * from './core/rng';
export * from './core/geometry';
export * from './core/frame';
export * from './core/elements';
export { projectAtoms } from './sim/project-atoms';
