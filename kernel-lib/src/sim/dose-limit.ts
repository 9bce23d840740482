/**
 * What a tilt series can tell about each atom at all, whatever the reconstruction or network: the
 * dose limit of detection and of position, from the simulator's own signal model (tilt-series.ts).
 *
 * For atom a with expected image s_a (counts per pixel) in every projection and pixel variance
 * var = λ (Poisson, λ the expected counts of the whole particle + support) + read noise²:
 * - detection SNR = √(Σ s_a² / var): the matched-filter signal-to-noise of "atom a is there" against
 *   "it is not", for an observer that knows where to look and knows every other atom. Rose's
 *   criterion asks for SNR ≥ 5 to see an object among many places it could be;
 * - position bound = √tr(J⁻¹), J = Σ ∇s_a ∇s_aᵀ / var (Fisher information of the atom's (x, y, z),
 *   Å⁻²): the Cramér–Rao lower bound on the RMS 3D position error of any unbiased estimate.
 * Both are optimistic on purpose (they ignore misalignment, scan jitter and the uncertainty of the
 * neighbours), so a method's recovery above the detectable fraction, or an RMSE below the bound,
 * would be a bug, and the distance to them is what better methods can still win.
 */
import { rotationZYZ } from '../core/geometry';
import { PannError } from '../core/errors';
import { traceOfInverseSym3 } from '../core/linear-solve';
import type { AtomicModel, Shape3 } from '../core/types';
import { detectorWindow, projectAtoms, projectionFrame } from './project-atoms';
import { signalModel, supportBackground, type AcquisitionOptions } from './tilt-series';

/** Per-atom dose limits of one acquisition (index = atom index of the model). */
export interface DoseLimits {
  /** Matched-filter detection SNR of each atom (dimensionless; Infinity without noise). */
  snr: Float64Array;
  /** Cramér–Rao bound on each atom's RMS 3D position error, pm (0 without noise). */
  positionBoundPm: Float64Array;
  /** Species of each atom (the model's). */
  species: string[];
}

/**
 * Detection SNR and position bound of every atom of `model` under an acquisition.
 * @param model true atoms (positions in Å, volume frame)
 * @param volumeShape [nz, ny, nx] of the volume frame (sets the rotation centre)
 * @param acquisition the simulator's acquisition options (TOTAL dose e⁻/Å², angles in degrees, lengths in Å)
 */
export function doseLimits(
  model: AtomicModel,
  volumeShape: Shape3,
  acquisition: AcquisitionOptions,
): DoseLimits {
  const sm = signalModel(model, volumeShape, acquisition);
  const { ny, nx, pixelA: s, noise } = sm;
  const expected = projectAtoms(model, sm.angles, {
    detectorShape: [ny, nx],
    pixelSizeA: s,
    volumeShape,
    weightBySpecies: sm.weights,
    sigmaA: sm.sigmaA,
  });
  const read2 = noise.readNoiseCounts ** 2;
  const frame = projectionFrame(volumeShape, s, ny, nx);
  const sgPx = sm.sigmaA / s;
  const inv2 = 1 / (2 * sgPx * sgPx);
  const reach = Math.ceil(4 * sgPx);
  const n = model.species.length;
  const info = new Float64Array(n);
  const fisher = new Float64Array(6 * n); // xx, yy, zz, xy, xz, yz per atom, Å⁻²
  const p = model.positionsA;
  for (let t = 0; t < sm.angles.length; t++) {
    const R = rotationZYZ(sm.angles[t]);
    const bg = supportBackground(sm, R);
    const base = t * ny * nx;
    for (let a = 0; a < n; a++) {
      const { u, v, i0, i1, j0, j1 } = detectorWindow(R, p, a, frame, reach);
      const norm = sm.weights[model.species[a]] / (2 * Math.PI * sgPx * sgPx);
      for (let j = j0; j <= j1; j++) {
        const dv = j - v;
        for (let i = i0; i <= i1; i++) {
          const du = i - u;
          const sa = norm * Math.exp(-(du * du + dv * dv) * inv2);
          const variance = (noise.shotNoise ? expected[base + j * nx + i] + bg : 0) + read2;
          if (!(variance > 0)) {
            if (sa > 0) info[a] = Infinity;
            continue;
          }
          info[a] += (sa * sa) / variance;
          // ∂s/∂u = s·(i − u)/σ², ∂u/∂r = R row 0 / pixel (likewise v, row 1): gradient in counts/Å
          const gu = (sa * du) / (sgPx * sgPx) / s,
            gv = (sa * dv) / (sgPx * sgPx) / s;
          const gx = gu * R[0] + gv * R[3],
            gy = gu * R[1] + gv * R[4],
            gz = gu * R[2] + gv * R[5];
          const f = 6 * a;
          fisher[f] += (gx * gx) / variance;
          fisher[f + 1] += (gy * gy) / variance;
          fisher[f + 2] += (gz * gz) / variance;
          fisher[f + 3] += (gx * gy) / variance;
          fisher[f + 4] += (gx * gz) / variance;
          fisher[f + 5] += (gy * gz) / variance;
        }
      }
    }
  }
  const snr = new Float64Array(n);
  const positionBoundPm = new Float64Array(n);
  for (let a = 0; a < n; a++) {
    snr[a] = Math.sqrt(info[a]);
    positionBoundPm[a] = Number.isFinite(info[a])
      ? 100 * Math.sqrt(traceOfInverse(fisher.subarray(6 * a, 6 * a + 6)))
      : 0;
  }
  return { snr, positionBoundPm, species: [...model.species] };
}

/** tr(J⁻¹) of a symmetric 3×3 matrix stored as xx, yy, zz, xy, xz, yz; Infinity when singular. */
function traceOfInverse(m: Float64Array): number {
  const [xx, yy, zz, xy, xz, yz] = m;
  return traceOfInverseSym3(xx, yy, zz, xy, xz, yz);
}

/** One group's summary of dose limits. */
export interface DoseLimitSummary {
  atoms: number;
  /** Fraction of atoms at or above the SNR criterion: the most any method can recover without guessing. */
  detectableFraction: number;
  /** Median detection SNR. */
  medianSnr: number;
  /** Root mean square of the position bounds of the detectable atoms, pm (NaN when none). */
  rmsPositionBoundPm: number;
}

/**
 * Summary of `limits` for all atoms and per species.
 * @param limits result of doseLimits
 * @param opts.minSnr detection criterion (default 5, Rose's)
 */
export function summarizeDoseLimits(
  limits: DoseLimits,
  opts: { minSnr?: number } = {},
): { all: DoseLimitSummary; bySpecies: Record<string, DoseLimitSummary> } {
  const k = opts.minSnr ?? 5;
  if (!(k >= 0)) throw new PannError('OPTION', `minSnr must be a number ≥ 0, got ${k}`, { field: 'minSnr' });
  const group = (idx: number[]): DoseLimitSummary => {
    const snrs = idx.map((a) => limits.snr[a]).sort((x, y) => x - y);
    const ok = idx.filter((a) => limits.snr[a] >= k);
    const ms = ok.reduce((acc, a) => acc + limits.positionBoundPm[a] ** 2, 0) / ok.length;
    return {
      atoms: idx.length,
      detectableFraction: idx.length ? ok.length / idx.length : NaN,
      medianSnr: snrs.length ? snrs[Math.floor(snrs.length / 2)] : NaN,
      rmsPositionBoundPm: ok.length ? Math.sqrt(ms) : NaN,
    };
  };
  const bySpecies: Record<string, number[]> = {};
  limits.species.forEach((sp, a) => (bySpecies[sp] ??= []).push(a));
  return {
    all: group(limits.species.map((_, a) => a)),
    bySpecies: Object.fromEntries(Object.entries(bySpecies).map(([sp, idx]) => [sp, group(idx)])),
  };
}
