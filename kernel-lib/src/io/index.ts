/** File input/output: volumes, tilt series, angles and atomic models (see each module's doc). */
export * from './files';
export * from './checks';
export * from './mrc';
export * from './npy';
export * from './tiff';
export * from './mat';
export * from './atom-columns';
export * from './xyz';
export * from './csv';
export * from './tilt-series';
export * from './volume-io';
export * from './atoms-io';
