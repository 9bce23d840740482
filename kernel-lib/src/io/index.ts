/**
 * File input/output: volumes, tilt series, angles and atomic models (see each module's doc).
 * The format modules are exported whole; the small shared helpers (files.ts, checks.ts,
 * atom-columns.ts) stay internal, except `extensionOf`.
 */
export { extensionOf } from './files';
export * from './mrc';
export * from './npy';
export * from './tiff';
export * from './mat';
export * from './xyz';
export * from './csv';
export * from './tilt-series';
export * from './volume-io';
export * from './atoms-io';
