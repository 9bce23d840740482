/**
 * Tilt-series pre-alignment: translate every projection so that the series shares one rotation axis
 * through the detector centre (the geometry of core/geometry.ts). Two methods:
 * - 'centre-of-mass': move each projection's centre of mass (intensities clipped at 0) to the detector
 *   centre pixel (⌊nx/2⌋, ⌊ny/2⌋). For a tilt about y the y centre of mass is the same in every
 *   projection and the x centre of mass of an object centred on the axis projects to the centre.
 * - 'cross-correlation': y from the common line (the profile along v, summed over u, is invariant
 *   under tilts about y): each profile against the projection nearest 0°; x by sequential
 *   cross-correlation of neighbouring x profiles (sorted by tilt angle) outwards from that projection.
 *   Sub-pixel peaks from the band-limited (Fourier) interpolation of the cross-correlation.
 *   Cross-correlation only fixes shifts relative to each other, and the sequential x steps drift
 *   slowly (neighbouring x profiles differ a little in shape); a low-order fit (constant in y,
 *   quadratic in θ for x) to the centre-of-mass residuals fixes the common offset and removes the
 *   drift. Measured on a noiseless 40-atom series (±70°, 4° steps): y exact to 0.01 px, x to
 *   ~0.5 px worst / ~0.2 px RMS — the centre of mass is better for isolated, noiseless particles.
 *   Assumes single-axis tilt about y ([0, θ, 0]).
 * Shifting uses bilinear interpolation with zero fill (conserves the first moment of the signal).
 */
import { PannError, assertFinite } from '../core/errors';
import { detectorCentrePixel } from '../core/geometry';
import { throttledProgress } from '../core/progress';
import type { ProgressCallback, TiltSeries } from '../core/types';

export type AlignmentMethod = 'centre-of-mass' | 'cross-correlation';

export interface AlignOptions {
  /** Default 'centre-of-mass'. */
  method?: AlignmentMethod;
  /** Largest shift searched/applied per axis, in Å; default a quarter of the detector width. */
  maxShiftA?: number;
  /** Progress: stage 'align', done/total = projections. */
  onProgress?: ProgressCallback;
}

export interface AlignResult {
  /** The shifted series (same shape, angles and pixel size; a new data array). */
  tilts: TiltSeries;
  /** Shift applied to each projection, [dx, dy] in Å (positive moves the content to larger x / y). */
  shiftsA: [number, number][];
}

/** Centre of mass (x, y) in pixels of one projection (values clipped at 0); the centre if empty. */
export function centreOfMassPx(img: Float32Array, ny: number, nx: number): [number, number] {
  let s = 0,
    sx = 0,
    sy = 0;
  for (let y = 0; y < ny; y++) {
    for (let x = 0; x < nx; x++) {
      const v = img[y * nx + x];
      if (v > 0) {
        s += v;
        sx += v * x;
        sy += v * y;
      }
    }
  }
  if (s === 0) return detectorCentrePixel(ny, nx);
  return [sx / s, sy / s];
}

/**
 * Translates `src` ([ny, nx]) by (dx, dy) pixels into `dst`: dst(x, y) = src(x − dx, y − dy),
 * bilinear, zero outside.
 */
export function shiftImage(src: Float32Array, dst: Float32Array, ny: number, nx: number, dx: number, dy: number): void {
  const ix = Math.floor(dx),
    iy = Math.floor(dy);
  const fx = dx - ix,
    fy = dy - iy;
  const at = (x: number, y: number) => (x >= 0 && x < nx && y >= 0 && y < ny ? src[y * nx + x] : 0);
  for (let y = 0; y < ny; y++) {
    const y0 = y - iy; // src rows y0 (weight 1 − fy) and y0 − 1 (weight fy)
    for (let x = 0; x < nx; x++) {
      const x0 = x - ix;
      dst[y * nx + x] = (1 - fy) * ((1 - fx) * at(x0, y0) + fx * at(x0 - 1, y0)) + fy * ((1 - fx) * at(x0, y0 - 1) + fx * at(x0 - 1, y0 - 1));
    }
  }
}

/**
 * Background level of a profile: the mean of its outer tenth on both ends. Subtracting it (rather
 * than the overall mean) leaves no pedestal whose own correlation would pull the lag towards 0.
 */
function borderLevel(p: Float64Array): number {
  const m = Math.max(1, Math.ceil(p.length / 10));
  let s = 0;
  for (let i = 0; i < m; i++) s += p[i] + p[p.length - 1 - i];
  return s / (2 * m);
}

/**
 * Lag (pixels, sub-pixel) that best maps profile `b` onto profile `a`: a(x) ≈ b(x − lag). The
 * cross-correlation of the background-subtracted, zero-padded profiles is evaluated from their spectra
 * (band-limited interpolation, exact for sampled band-limited profiles): first at integer lags in
 * [−maxLag, maxLag], then on a 0.02 px grid within ±1 px of the best, with a final parabola fit.
 */
export function bestLag(a: Float64Array, b: Float64Array, maxLag: number): number {
  const n = a.length;
  const N = 2 * n;
  const ma = borderLevel(a),
    mb = borderLevel(b);
  // cross-power spectrum P_k = A_k · conj(B_k) for signed frequencies k = 0 … N/2
  const half = N / 2;
  const re = new Float64Array(half + 1),
    im = new Float64Array(half + 1);
  for (let k = 0; k <= half; k++) {
    let ar = 0,
      ai = 0,
      br = 0,
      bi = 0;
    for (let x = 0; x < n; x++) {
      const w = (-2 * Math.PI * k * x) / N;
      const c = Math.cos(w),
        s = Math.sin(w);
      ar += (a[x] - ma) * c;
      ai += (a[x] - ma) * s;
      br += (b[x] - mb) * c;
      bi += (b[x] - mb) * s;
    }
    re[k] = ar * br + ai * bi;
    im[k] = ai * br - ar * bi;
  }
  // cc(lag) = (1/N) Σ_k P_k e^{2πi k lag / N}, real; conjugate-symmetric terms doubled
  const cc = (lag: number) => {
    let s = re[0] + re[half] * Math.cos(Math.PI * lag);
    for (let k = 1; k < half; k++) {
      const w = (2 * Math.PI * k * lag) / N;
      s += 2 * (re[k] * Math.cos(w) - im[k] * Math.sin(w));
    }
    return s / N;
  };
  let best = 0,
    bestCc = -Infinity;
  for (let l = -maxLag; l <= maxLag; l++) {
    const c = cc(l);
    if (c > bestCc) [best, bestCc] = [l, c];
  }
  const step = 0.02,
    reach = 50;
  const fine: number[] = [];
  for (let q = -reach; q <= reach; q++) fine.push(cc(best + q * step));
  let m = 0;
  for (let q = 1; q < fine.length; q++) if (fine[q] > fine[m]) m = q;
  let frac = 0;
  if (m > 0 && m < fine.length - 1) {
    const [l, c, r] = [fine[m - 1], fine[m], fine[m + 1]];
    const den = l - 2 * c + r;
    if (den < 0) frac = Math.max(-0.5, Math.min(0.5, (0.5 * (l - r)) / den));
  }
  return Math.max(-maxLag, Math.min(maxLag, best + (m - reach + frac) * step));
}

/** Least-squares polynomial of `degree` through (x, y); returns its evaluator. */
function polyFit(x: number[], y: number[], degree: number): (t: number) => number {
  const m = degree + 1;
  const M = Array.from({ length: m }, () => new Float64Array(m + 1));
  for (let i = 0; i < x.length; i++) {
    for (let r = 0; r < m; r++) {
      for (let c = 0; c < m; c++) M[r][c] += x[i] ** (r + c);
      M[r][m] += y[i] * x[i] ** r;
    }
  }
  for (let c = 0; c < m; c++) {
    let piv = c;
    for (let r = c + 1; r < m; r++) if (Math.abs(M[r][c]) > Math.abs(M[piv][c])) piv = r;
    [M[c], M[piv]] = [M[piv], M[c]];
    if (Math.abs(M[c][c]) < 1e-12) continue;
    for (let r = 0; r < m; r++) {
      if (r === c) continue;
      const f = M[r][c] / M[c][c];
      for (let k = c; k <= m; k++) M[r][k] -= f * M[c][k];
    }
  }
  const coef = M.map((row, r) => (Math.abs(row[r]) < 1e-12 ? 0 : row[m] / row[r]));
  return (t) => coef.reduce((s, c, k) => s + c * t ** k, 0);
}

function profiles(img: Float32Array, ny: number, nx: number): { px: Float64Array; py: Float64Array } {
  const px = new Float64Array(nx),
    py = new Float64Array(ny);
  for (let y = 0; y < ny; y++) {
    for (let x = 0; x < nx; x++) {
      const v = img[y * nx + x];
      px[x] += v;
      py[y] += v;
    }
  }
  return { px, py };
}

/**
 * Aligns a tilt series by translating each projection (see the module comment for the methods).
 * @param tilts projections [nAngles, ny, nx] with angles (degrees) and pixel size (Å).
 * @param opts method, maxShiftA (Å), onProgress.
 * @returns the shifted series and the shift applied to each projection in Å.
 */
export async function alignTiltSeries(tilts: TiltSeries, opts: AlignOptions = {}): Promise<AlignResult> {
  const [nA, ny, nx] = tilts.shape;
  if (tilts.data.length !== nA * ny * nx) throw new PannError('SHAPE', `tilt series data has ${tilts.data.length} values, expected ${nA}×${ny}×${nx}`, { field: 'tilts.data' });
  if (tilts.anglesDeg.length !== nA) throw new PannError('SHAPE', `tilt series has ${tilts.anglesDeg.length} angle triples but ${nA} projections`, { field: 'tilts.anglesDeg' });
  if (!(tilts.pixelSizeA > 0)) throw new PannError('VALUE', `pixel size must be a positive number of Å, got ${tilts.pixelSizeA}`, { field: 'tilts.pixelSizeA' });
  assertFinite(tilts.data, 'tilts.data');
  const method = opts.method ?? 'centre-of-mass';
  if (method !== 'centre-of-mass' && method !== 'cross-correlation') {
    throw new PannError('OPTION', `unknown alignment method '${String(method)}' (use 'centre-of-mass' or 'cross-correlation')`, { field: 'method' });
  }
  const pix = tilts.pixelSizeA;
  const maxShiftA = opts.maxShiftA ?? (Math.min(nx, ny) / 4) * pix;
  if (!(Number.isFinite(maxShiftA) && maxShiftA > 0)) throw new PannError('OPTION', `maxShiftA must be a positive number of Å, got ${opts.maxShiftA}`, { field: 'maxShiftA' });
  const maxPx = maxShiftA / pix;
  const per = ny * nx;
  const report = throttledProgress('align', nA, opts.onProgress);
  const proj = (t: number) => tilts.data.subarray(t * per, (t + 1) * per);
  const [cu, cv] = detectorCentrePixel(ny, nx);
  const shiftsPx: [number, number][] = [];

  const coms = Array.from({ length: nA }, (_, t) => centreOfMassPx(proj(t), ny, nx));
  if (method === 'centre-of-mass') {
    for (let t = 0; t < nA; t++) shiftsPx.push([cu - coms[t][0], cv - coms[t][1]]);
  } else {
    const prof = Array.from({ length: nA }, (_, t) => profiles(proj(t), ny, nx));
    const order = tilts.anglesDeg.map((a, t) => [a[1], t]).sort((p, q) => p[0] - q[0]).map((p) => p[1]);
    let refPos = 0;
    for (let s = 1; s < nA; s++) if (Math.abs(tilts.anglesDeg[order[s]][1]) < Math.abs(tilts.anglesDeg[order[refPos]][1])) refPos = s;
    const ref = order[refPos];
    const lagX = Math.max(1, Math.min(Math.ceil(maxPx), nx - 1)),
      lagY = Math.max(1, Math.min(Math.ceil(maxPx), ny - 1));
    const rel: [number, number][] = Array.from({ length: nA }, () => [0, 0]);
    for (let t = 0; t < nA; t++) rel[t][1] = t === ref ? 0 : bestLag(prof[ref].py, prof[t].py, lagY);
    // x: walk outwards from the reference, each projection against its already-aligned neighbour
    for (const dir of [1, -1]) {
      for (let s = refPos + dir; s >= 0 && s < nA; s += dir) {
        const t = order[s],
          prev = order[s - dir];
        rel[t][0] = rel[prev][0] + bestLag(prof[prev].px, prof[t].px, lagX);
      }
    }
    // Sequential x steps accumulate a slow drift (neighbouring profiles differ a little in shape), and
    // cross-correlation leaves the common offset free: remove both by fitting a quadratic in θ to the
    // centre-of-mass residuals cu − (com + shift) (y: a constant) and adding it to the shifts.
    const th = tilts.anglesDeg.map((a) => a[1] / 90);
    const fitX = polyFit(th, rel.map((r, t) => cu - (coms[t][0] + r[0])), Math.min(2, nA - 1));
    const fitY = polyFit(th, rel.map((r, t) => cv - (coms[t][1] + r[1])), 0);
    for (let t = 0; t < nA; t++) shiftsPx.push([rel[t][0] + fitX(th[t]), rel[t][1] + fitY(th[t])]);
  }

  const shiftsA = shiftsPx.map(([dx, dy]): [number, number] => [
    Math.max(-maxPx, Math.min(maxPx, dx)) * pix,
    Math.max(-maxPx, Math.min(maxPx, dy)) * pix,
  ]);
  return { tilts: shiftTiltSeries(tilts, shiftsA, (t) => report(t)), shiftsA };
}

/**
 * Translates each projection of a tilt series by its own shift (`shiftImage`: bilinear, zero fill).
 * @param shiftsA per projection [dx, dy] in Å (positive moves the content to larger x / y)
 * @param onProjection called with the number of projections done
 * @returns a new series (same shape, angles and pixel size; new data and angle arrays)
 */
export function shiftTiltSeries(tilts: TiltSeries, shiftsA: readonly (readonly [number, number])[], onProjection?: (done: number) => void): TiltSeries {
  const [nA, ny, nx] = tilts.shape;
  if (shiftsA.length !== nA) throw new PannError('SHAPE', `${shiftsA.length} shifts given for a tilt series of ${nA} projections`, { field: 'shiftsA' });
  const per = ny * nx;
  const out = new Float32Array(tilts.data.length);
  for (let t = 0; t < nA; t++) {
    const [dx, dy] = shiftsA[t];
    if (!(Number.isFinite(dx) && Number.isFinite(dy))) throw new PannError('VALUE', `shift of projection ${t} is not a finite number of Å: [${dx}, ${dy}]`, { field: 'shiftsA' });
    shiftImage(tilts.data.subarray(t * per, (t + 1) * per), out.subarray(t * per, (t + 1) * per), ny, nx, dx / tilts.pixelSizeA, dy / tilts.pixelSizeA);
    onProjection?.(t + 1);
  }
  return { ...tilts, data: out, anglesDeg: tilts.anglesDeg.map((a) => [...a] as typeof a) };
}
