/**
 * Where to cut traced peaks on a REFINED volume. The networks are trained with a squared voxel loss to
 * a target with a peak of height w_s = (Z_s/Z_max)^0.85 per atom of species s (data.ts targetWeights),
 * so their output is a posterior mean: where a network is unsure whether an atom is there it draws a
 * peak of about P(atom)·w_s. A cut at a fraction f of the lightest species' height is then a cut on
 * that probability, which the adaptive rule for raw reconstructions (autoThreshold: Otsu splits above
 * a noise floor) does not know about. Where a network is unsure of EVERY atom (an amorphous light
 * particle at low dose: its strongest peaks stay far below their calibrated height), the cut is
 * lowered in proportion to the level of the strongest peaks the volume actually has.
 */
import { PannError } from '../core/errors';
import { autoThreshold, type TraceResult } from '../trace';
import { targetWeights } from './data';

/** Default fraction f of the lightest species' peak height (chosen on the validation split: bench/results/glare-threshold.md). */
export const REFINED_CUT_FRACTION = 0.3;

/** Percentile of the peaks above the adaptive cut taken as the volume's "heaviest atom" level. */
const LEVEL_PERCENTILE = 0.9;
/**
 * Traced height (the trace's 'peak' score) at or above which a volume counts as calibrated: a
 * target peak of height 1 (σ 0.8 voxel) traces at 0.5–0.9 after the trace's 0.35 Å smoothing,
 * depending on the voxel size (0.5 at 0.55 Å voxels, the finest the networks are trained on), so
 * volumes whose heaviest atoms reach their calibrated height are not rescaled.
 */
const CALIBRATED_LEVEL = 0.5;

export interface RefinedThresholdOptions {
  /** Fraction f of the lightest species' calibrated peak height (default REFINED_CUT_FRACTION). */
  fraction?: number;
}

/**
 * The peak threshold (refined-volume units) for a volume refined by GLARE or the U-Net:
 * f · w_min · min(1, level / 0.5), with w_min the lightest listed species' target height and level
 * the 90th percentile of the candidate peaks that pass the adaptive rule (≥ 0.5 when the heaviest
 * atoms reach their calibrated height; an unsure network's lower level lowers the cut with it).
 * @param trace the trace of the refined volume (traceAtoms)
 * @param species element symbols in the particle (as given to the pipeline)
 * @returns the threshold on the 'peak' score, volume units (−∞ when there are no candidates)
 */
export function refinedThreshold(trace: TraceResult, species: string[], opts: RefinedThresholdOptions = {}): number {
  const f = opts.fraction ?? REFINED_CUT_FRACTION;
  if (!(f > 0 && f < 1)) throw new PannError('OPTION', `fraction must be in (0, 1), got ${f}`, { field: 'fraction' });
  if (species.length === 0) throw new PannError('OPTION', 'species must name at least one element', { field: 'species' });
  const wMin = Math.min(...Object.values(targetWeights(species)));
  const auto = autoThreshold(trace);
  const above: number[] = [];
  for (let c = 0; c < trace.peak.length; c++) if (trace.suppressedBy[c] === -1 && trace.peak[c] >= auto) above.push(trace.peak[c]);
  if (above.length === 0) return auto;
  above.sort((a, b) => a - b);
  const level = above[Math.min(above.length - 1, Math.floor(LEVEL_PERCENTILE * above.length))];
  return f * wMin * Math.min(1, level / CALIBRATED_LEVEL);
}
