/**
 * Background removal before reconstruction. HAADF projections carry a constant-ish offset (detector dark
 * level, amorphous support film, the published aSi case's ~1 count floor) that a reconstruction would
 * otherwise smear over the whole volume as a haze. The particle sits near the detector centre, so the
 * pixels of a frame along the detector border see only background; their median, per projection, is
 * the offset subtracted. Noise stays unbiased (no clamping); positivity is the reconstruction's job.
 */
import { PannError } from '../core/errors';
import type { TiltSeries } from '../core/types';

export interface BackgroundOptions {
  /** Width of the border frame as a fraction of the detector size (0 < f < 0.5). Default 0.1. */
  borderFraction?: number;
}

export interface BackgroundResult {
  /** The tilt series with the offset removed (a new array; the input is untouched). */
  tilts: TiltSeries;
  /** Offset removed from each projection (projection units, e.g. counts). */
  offsets: Float64Array;
}

/** Subtracts, per projection, the median of a border frame. */
export function subtractBackground(tilts: TiltSeries, opts: BackgroundOptions = {}): BackgroundResult {
  const f = opts.borderFraction ?? 0.1;
  if (!(f > 0 && f < 0.5)) throw new PannError('OPTION', `borderFraction must be in (0, 0.5), got ${f}`, { field: 'borderFraction' });
  const [nA, ny, nx] = tilts.shape;
  const bx = Math.max(1, Math.round(f * nx));
  const by = Math.max(1, Math.round(f * ny));
  const data = new Float32Array(tilts.data.length);
  const offsets = new Float64Array(nA);
  const border: number[] = [];
  for (let a = 0; a < nA; a++) {
    const base = a * ny * nx;
    border.length = 0;
    for (let j = 0; j < ny; j++) {
      const inRows = j < by || j >= ny - by;
      for (let i = 0; i < nx; i++) if (inRows || i < bx || i >= nx - bx) border.push(tilts.data[base + j * nx + i]);
    }
    border.sort((p, q) => p - q);
    const mid = border.length >> 1;
    const median = border.length % 2 ? border[mid] : 0.5 * (border[mid - 1] + border[mid]);
    offsets[a] = median;
    for (let p = 0; p < ny * nx; p++) data[base + p] = tilts.data[base + p] - median;
  }
  return { tilts: { ...tilts, data }, offsets };
}
