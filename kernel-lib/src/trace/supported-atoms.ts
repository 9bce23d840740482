/**
 * The atoms the tilt series supports. After `fitAtomsToTilts` every atom carries the brightness the
 * projections give it (its integrated projected counts). A ghost — a noise peak the tracing kept —
 * gets little, since no consistent signal lies under it in all projections; a real atom gets about
 * its species' share, which HAADF Z-contrast fixes relative to the heaviest species: ∝ Z^α. So an
 * atom fainter than a fraction of what the LIGHTEST expected species would give is dropped.
 *
 * The heaviest species' brightness is read off the fit itself (the 90th percentile of the fitted
 * brightnesses), so no calibration is needed; with a single species the cut is a fraction of the
 * typical atom. The fraction (default 0.3) was chosen on the validation split
 * (`npm run bench -- support-cut`: the smallest fraction within 0.2 points of the best recovery − false
 * positives; the test split is only reported, by `bench -- position-fit`).
 */
import { PannError } from '../core/errors';
import { atomicNumber } from '../core/elements';
import { atomsAt, type AtomicModel } from '../core/types';

/** Default `minFraction`: chosen on the validation split (bench/results/support-cut.md). */
export const DEFAULT_SUPPORT_FRACTION = 0.3;

/** Options of `keepSupportedAtoms`. */
export interface SupportedAtomsOptions {
  /** Element symbols expected in the particle (any order), e.g. ['Fe', 'Pt']. */
  species: string[];
  /** Keep atoms at least this fraction of the lightest species' expected brightness. Default 0.3. */
  minFraction?: number;
  /** Z-contrast exponent α (brightness ∝ Z^α). Default 1.7 (the simulator's; measured HAADF 1.6–2). */
  zExponent?: number;
}

/** What `keepSupportedAtoms` returns. */
export interface SupportedAtoms {
  /** The kept atoms (order kept; per-atom scores and probabilities subset alike). */
  model: AtomicModel;
  /** 1 for each input atom that was kept. */
  kept: Uint8Array;
  /** The brightness cut, in the fit's units (integrated counts per projection). */
  cut: number;
  /** The lightest species' expected brightness the cut is a fraction of ((Z_light/Z_heavy)^α × the 90th percentile), same units. */
  lightestBrightness: number;
}

/**
 * Drops the atoms whose fitted brightness is below `minFraction` × (Z_lightest / Z_heaviest)^α × the
 * 90th-percentile brightness.
 * @param model the fitted atoms (`fitAtomsToTilts(...).model`)
 * @param brightness each atom's fitted brightness (`fitAtomsToTilts(...).amplitude`), same order
 */
export function keepSupportedAtoms(
  model: AtomicModel,
  brightness: ArrayLike<number>,
  opts: SupportedAtomsOptions,
): SupportedAtoms {
  const n = model.species.length;
  if (brightness.length !== n)
    throw new PannError('SHAPE', `brightness has ${brightness.length} values for ${n} atoms`, {
      field: 'brightness',
    });
  if (!opts.species?.length)
    throw new PannError('OPTION', "species is required, e.g. ['Fe', 'Pt']", { field: 'species' });
  const minFraction = opts.minFraction ?? DEFAULT_SUPPORT_FRACTION;
  const alpha = opts.zExponent ?? 1.7;
  if (!(minFraction >= 0 && Number.isFinite(minFraction)))
    throw new PannError('OPTION', `minFraction must be a number ≥ 0, got ${minFraction}`, {
      field: 'minFraction',
    });
  if (!(alpha > 0 && Number.isFinite(alpha)))
    throw new PannError('OPTION', `zExponent must be a positive number, got ${alpha}`, {
      field: 'zExponent',
    });
  const z = opts.species.map((s) => atomicNumber(s));
  const lightShare = (Math.min(...z) / Math.max(...z)) ** alpha;
  const sorted = Float64Array.from(brightness).sort();
  const heaviest = n ? sorted[Math.floor(0.9 * (n - 1))] : 0;
  const lightestBrightness = lightShare * heaviest;
  const cut = minFraction * lightestBrightness;
  const kept = new Uint8Array(n);
  const idx: number[] = [];
  for (let a = 0; a < n; a++)
    if (brightness[a] >= cut) {
      kept[a] = 1;
      idx.push(a);
    }
  return { model: atomsAt(model, idx), kept, cut, lightestBrightness };
}
