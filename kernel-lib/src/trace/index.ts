/** Atom tracing: find every candidate once, then choose atoms by threshold without a new search. */
export { traceAtoms, integrateSpheres, suppressClose, checkVolume, volumeStatistics } from './trace-atoms';
export type { TraceOptions, TraceResult } from './trace-atoms';
export { selectAtoms, autoThreshold, otsuThreshold, otsuSplit } from './select';
export type { SelectOptions, TraceScore } from './select';
export { gaussianSmooth3D, gaussianKernel1D } from './smooth';
export { findLocalMaxima } from './local-maxima';
export type { RefineMethod } from './refine';
export { fitAtomsToTilts, withoutTranslation, misalignmentCorrectionsA, misalignmentZ2, FITTED_BRIGHTNESS, DETECTION_SNR, DEFAULT_FIT_ITERATIONS, DEFAULT_POSITION_PRIOR_A, DEFAULT_NEIGHBOUR_PRIOR, DEFAULT_NEIGHBOUR_PRIOR_MAX_A } from './fit-to-tilts';
export { oppositeNeighbourPairs, neighbourPrediction, brightScatterA, firstShellDistanceA } from './centrosymmetric-prior';
export type { OppositePairs, OppositePairsOptions } from './centrosymmetric-prior';
export type { FitToTiltsOptions, FitToTiltsResult } from './fit-to-tilts';
export { keepSupportedAtoms, DEFAULT_SUPPORT_FRACTION } from './supported-atoms';
export type { SupportedAtomsOptions, SupportedAtoms } from './supported-atoms';
export { vacantSites, withVacantSites, dropFaintSites, keepSupportedAtomsAndSites, PROPOSED_SITE_CANDIDATE, FAINT_SITE_SIGMAS, type VacantSitesOptions } from './vacant-sites';
