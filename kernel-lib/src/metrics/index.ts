/** Evaluation: optimal atom matching, benchmark metrics, R-factor against a tilt series, markdown tables. */
export { matchAtoms, matchPositions } from './match';
export type { AtomMatch } from './match';
export { hungarian } from './hungarian';
export { evaluate } from './evaluate';
export type { EvaluateOptions, EvaluationMetrics, SpeciesMetrics } from './evaluate';
export { rFactor } from './r-factor';
export type { RFactorOptions, RFactorResult } from './r-factor';
export { formatMetricsTable } from './table';
export type { MetricsRow } from './table';
