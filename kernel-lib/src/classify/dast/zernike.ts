/**
 * Rotation-invariant 3D Zernike descriptors of the local density around each atom (DAST's per-atom
 * shape features).
 *
 * Moments Ω_nl^m = ∫_B f(c + r·radiusA) Z_nl^m(r) d³r are computed over the unit ball B (r in units
 * of radiusA, so Ω is the density integral in unit-ball volume units: a constant density ρ filling the
 * ball gives Ω_00 = ρ·√(4π/3) whatever the radius) by direct summation on the sampled ball grid
 * (local-density.ts; exact for products of the basis functions, so the sampled basis is orthonormal to
 * rounding error): the weighted basis is computed once per (order, gridSize) and the moments of all
 * atoms are one matrix product (nAtoms × nGrid)·(nGrid × nMoments), done on one octant after a mirror
 * fold (see zernike-basis.ts), 4 atoms per pass over the basis.
 *
 * Descriptors are the norms F_nl = ‖Ω_nl^·‖₂ over m, one per (n, l) with n − l even:
 * (⌊N/2⌋+1)(⌈N/2⌉+1) values, e.g. 36 for N = 10 (see {@link zernikeDescriptorLength}).
 */
import { PannError, assertPositive } from '../../core/errors';
import { throttledProgress, yieldToEventLoop } from '../../core/progress';
import type { ProgressCallback, Volume } from '../../core/types';
import { assertVolume, ballGrid, sampleInto } from './local-density';
import { type ZernikeGridBasis, minimumGridSize, zernikeGridBasis, zernikeIndex } from './zernike-basis';

// Math functions bound once: a global `Math.f` lookup per call is ~10× slower under jest's sandboxed globals.
const { sqrt } = Math;

/** Default maximum order N (36 invariants). */
export const DEFAULT_ZERNIKE_ORDER = 10;
/**
 * Default ball radius in Å: about half the nearest-neighbour distance of the close-packed metals AET
 * studies (Ni 2.49, Cu 2.56, Pt 2.77, Au 2.88 Å → halves 1.25–1.44 Å; inside the midpoint for Pt/Au,
 * ≤ 0.05 Å past it for Ni/Cu), so each ball covers its own atom's reconstructed peak out to ~2–3σ
 * (σ ≈ 0.4–0.6 Å) and sees only the far tails of its neighbours. Larger balls mix in neighbour density
 * (an environment cue the graph network already gets from the neighbour graph); smaller ones cut the peak.
 */
export const DEFAULT_ZERNIKE_RADIUS_A = 1.3;

/** Atoms per block of the matrix product (the folded densities of a block stay in L1/L2). */
const BLOCK = 4;
/** Atoms sampled per chunk, to bound the memory of the sampled densities. */
const CHUNK = 1024;

/**
 * Raw Zernike moments of sampled densities.
 * @param samples densities on the ball grid, [nAtoms, nPoints] as from `sampleLocalDensity`
 *   (nPoints = ballGrid(gridSize).count = 2·gridSize³).
 * @param nAtoms number of atoms in `samples`.
 * @param options.order maximum order N (default 10); options.gridSize nodes in r and cos θ of the ball
 *   grid (even, ≥ N + 2; default {@link minimumGridSize}(N) = 12 for N = 10).
 * @returns Float64Array [nAtoms, nMoments] in the moment order of `zernikeIndex(order)`.
 */
export function zernikeMoments(
  samples: Float32Array,
  nAtoms: number,
  options: { order?: number; gridSize?: number } = {},
): Float64Array {
  const order = options.order ?? DEFAULT_ZERNIKE_ORDER;
  const gridSize = options.gridSize ?? minimumGridSize(order);
  const basis = zernikeGridBasis(order, gridSize);
  const nPoints = ballGrid(gridSize).count;
  if (!Number.isInteger(nAtoms) || nAtoms < 0 || samples.length !== nAtoms * nPoints) {
    throw new PannError(
      'SHAPE',
      `samples has length ${samples.length}, expected nAtoms × nPoints = ${nAtoms} × ${nPoints} (gridSize ${gridSize})`,
      {
        field: 'samples',
      },
    );
  }
  const out = new Float64Array(nAtoms * basis.index.count);
  momentsInto(basis, samples, nAtoms, out, 0);
  return out;
}

/** Moments of `count` sampled atoms into out[(first + t) * nMoments + j]. */
function momentsInto(
  basis: ZernikeGridBasis,
  samples: Float32Array,
  count: number,
  out: Float64Array,
  first: number,
): void {
  const { nOctant: nq, images, weighted, byClass, classStart } = basis;
  const nMom = basis.index.count;
  const nPoints = 8 * nq;
  // Folded densities of a block: [BLOCK][8 classes][nq].
  const fold = new Float64Array(BLOCK * 8 * nq);
  for (let t0 = 0; t0 < count; t0 += BLOCK) {
    const nb = Math.min(BLOCK, count - t0);
    for (let b = 0; b < nb; b++) {
      const base = (t0 + b) * nPoints;
      const fb = b * 8 * nq;
      for (let q = 0; q < nq; q++) {
        const im = q * 8;
        // 8-point Walsh–Hadamard transform of the mirror images (3 butterfly stages over the x, y, z bits).
        const v0 = samples[base + images[im]],
          v1 = samples[base + images[im + 1]];
        const v2 = samples[base + images[im + 2]],
          v3 = samples[base + images[im + 3]];
        const v4 = samples[base + images[im + 4]],
          v5 = samples[base + images[im + 5]];
        const v6 = samples[base + images[im + 6]],
          v7 = samples[base + images[im + 7]];
        const a0 = v0 + v1,
          a1 = v0 - v1,
          a2 = v2 + v3,
          a3 = v2 - v3;
        const a4 = v4 + v5,
          a5 = v4 - v5,
          a6 = v6 + v7,
          a7 = v6 - v7;
        const b0 = a0 + a2,
          b1 = a1 + a3,
          b2 = a0 - a2,
          b3 = a1 - a3;
        const b4 = a4 + a6,
          b5 = a5 + a7,
          b6 = a4 - a6,
          b7 = a5 - a7;
        fold[fb + q] = b0 + b4;
        fold[fb + nq + q] = b1 + b5;
        fold[fb + 2 * nq + q] = b2 + b6;
        fold[fb + 3 * nq + q] = b3 + b7;
        fold[fb + 4 * nq + q] = b0 - b4;
        fold[fb + 5 * nq + q] = b1 - b5;
        fold[fb + 6 * nq + q] = b2 - b6;
        fold[fb + 7 * nq + q] = b3 - b7;
      }
    }
    for (let c = 0; c < 8; c++) {
      const o0 = c * nq,
        o1 = (8 + c) * nq,
        o2 = (16 + c) * nq,
        o3 = (24 + c) * nq;
      const end = classStart[c + 1];
      let s = classStart[c];
      // 4 atoms × 2 moments per pass: each loaded basis / fold value feeds 2–4 multiply-adds.
      for (; s + 1 < end; s += 2) {
        const j = byClass[s],
          k = byClass[s + 1];
        const wj = j * nq,
          wk = k * nq;
        let a0 = 0,
          a1 = 0,
          a2 = 0,
          a3 = 0,
          b0 = 0,
          b1 = 0,
          b2 = 0,
          b3 = 0;
        for (let q = 0; q < nq; q++) {
          const zj = weighted[wj + q],
            zk = weighted[wk + q];
          const f0 = fold[o0 + q],
            f1 = fold[o1 + q],
            f2 = fold[o2 + q],
            f3 = fold[o3 + q];
          a0 += zj * f0;
          a1 += zj * f1;
          a2 += zj * f2;
          a3 += zj * f3;
          b0 += zk * f0;
          b1 += zk * f1;
          b2 += zk * f2;
          b3 += zk * f3;
        }
        store(out, (first + t0) * nMom, nMom, nb, j, a0, a1, a2, a3);
        store(out, (first + t0) * nMom, nMom, nb, k, b0, b1, b2, b3);
      }
      if (s < end) {
        const j = byClass[s];
        const wj = j * nq;
        let a0 = 0,
          a1 = 0,
          a2 = 0,
          a3 = 0;
        for (let q = 0; q < nq; q++) {
          const zj = weighted[wj + q];
          a0 += zj * fold[o0 + q];
          a1 += zj * fold[o1 + q];
          a2 += zj * fold[o2 + q];
          a3 += zj * fold[o3 + q];
        }
        store(out, (first + t0) * nMom, nMom, nb, j, a0, a1, a2, a3);
      }
    }
  }
}

/** Writes moment j of the (up to 4) atoms of a block whose first row starts at `row`. */
function store(
  out: Float64Array,
  row: number,
  nMom: number,
  nb: number,
  j: number,
  s0: number,
  s1: number,
  s2: number,
  s3: number,
): void {
  out[row + j] = s0;
  if (nb > 1) out[row + nMom + j] = s1;
  if (nb > 2) out[row + 2 * nMom + j] = s2;
  if (nb > 3) out[row + 3 * nMom + j] = s3;
}

/** Normalisation of the invariants. */
export type ZernikeNormalization = 'none' | 'omega00';

/**
 * Rotation invariants F_nl = ‖Ω_nl^·‖₂ (norm over m) from raw moments.
 * @param moments [nAtoms, nMoments] as from {@link zernikeMoments}.
 * @param order maximum order N the moments were computed to.
 * @param normalization 'none' (default) keeps the raw norms; 'omega00' divides every F_nl with
 *   (n, l) ≠ (0, 0) by |Ω_00| (shape only, independent of the atom's brightness) and keeps F_00 = |Ω_00|
 *   itself as the first entry, so the integrated intensity — the strongest species cue in Z-contrast
 *   images — is still available. Atoms with Ω_00 = 0 get 0 for the ratios.
 * @returns Float32Array [nAtoms, nPairs] in the (n, l) order of `zernikeIndex(order).pairs`.
 */
export function zernikeInvariants(
  moments: Float64Array,
  order: number,
  normalization: ZernikeNormalization = 'none',
): Float32Array {
  const index = zernikeIndex(order);
  const nMom = index.count;
  const nPairs = index.pairs.length;
  if (moments.length % nMom !== 0) {
    throw new PannError(
      'SHAPE',
      `moments length ${moments.length} is not a multiple of ${nMom} (moments up to order ${order})`,
      {
        field: 'moments',
      },
    );
  }
  if (normalization !== 'none' && normalization !== 'omega00') {
    throw new PannError('OPTION', `normalization must be 'none' or 'omega00', got '${normalization}'`, {
      field: 'normalization',
    });
  }
  const nAtoms = moments.length / nMom;
  const out = new Float32Array(nAtoms * nPairs);
  const acc = new Float64Array(nPairs);
  for (let a = 0; a < nAtoms; a++) {
    acc.fill(0);
    const base = a * nMom;
    for (let j = 0; j < nMom; j++) acc[index.pairOf[j]] += moments[base + j] ** 2;
    const f00 = sqrt(acc[0]);
    const scale = normalization === 'omega00' ? (f00 > 0 ? 1 / f00 : 0) : 1;
    out[a * nPairs] = f00;
    for (let p = 1; p < nPairs; p++) out[a * nPairs + p] = sqrt(acc[p]) * scale;
  }
  return out;
}

/** Number of invariants up to order N: the count of (n, l) with 0 ≤ l ≤ n ≤ N, n − l even. */
export function zernikeDescriptorLength(order: number): number {
  return zernikeIndex(order).pairs.length;
}

/** Names of the invariants, "zernike_n{n}_l{l}", in descriptor order. */
export function zernikeDescriptorNames(order: number): string[] {
  return zernikeIndex(order).pairs.map(({ n, l }) => `zernike_n${n}_l${l}`);
}

/** Options of {@link zernikeDescriptors}. */
export interface ZernikeDescriptorOptions {
  /** Ball radius in Å (default {@link DEFAULT_ZERNIKE_RADIUS_A} = 1.3 Å). */
  radiusA?: number;
  /** Maximum order N (default 10 → 36 invariants). */
  order?: number;
  /** Nodes in r and cos θ of the ball grid (even, ≥ order + 2; default order + 2 rounded up to even = 12). */
  gridSize?: number;
  /** See {@link zernikeInvariants} (default 'none'). */
  normalization?: ZernikeNormalization;
}

/** Validated inputs and the chunked worker shared by the sync and async entry points. */
function descriptorJob(volume: Volume, positionsA: Float64Array, options: ZernikeDescriptorOptions) {
  const radiusA = options.radiusA ?? DEFAULT_ZERNIKE_RADIUS_A;
  const order = options.order ?? DEFAULT_ZERNIKE_ORDER;
  const gridSize = options.gridSize ?? minimumGridSize(order);
  const normalization = options.normalization ?? 'none';
  assertPositive(radiusA, 'radiusA');
  if (positionsA.length % 3 !== 0) {
    throw new PannError(
      'SHAPE',
      `positionsA must hold x, y, z per atom (length divisible by 3), got length ${positionsA.length}`,
      {
        field: 'positionsA',
      },
    );
  }
  assertVolume(volume);
  const basis = zernikeGridBasis(order, gridSize);
  const grid = ballGrid(gridSize);
  const nAtoms = positionsA.length / 3;
  const moments = new Float64Array(nAtoms * basis.index.count);
  const chunk = new Float32Array(Math.min(CHUNK, Math.max(1, nAtoms)) * grid.count);
  return {
    nAtoms,
    /** Moments of atoms [first, first + CHUNK); returns the number done. */
    step(first: number): number {
      const count = Math.min(CHUNK, nAtoms - first);
      sampleInto(volume, positionsA, first, count, radiusA, grid, chunk);
      momentsInto(basis, chunk, count, moments, first);
      return count;
    },
    result: () => ({
      values: zernikeInvariants(moments, order, normalization),
      names: zernikeDescriptorNames(order),
    }),
  };
}

/**
 * Rotation-invariant 3D Zernike descriptors of the density around each atom.
 * @param volume the density (e.g. the refined volume), [nz, ny, nx], voxel (k, j, i) at (i, j, k)·voxelSizeA.
 * @param positionsA atom centres x, y, z in Å in the volume frame, length 3·nAtoms.
 * @param options radiusA (Å), order, gridSize, normalization — see {@link ZernikeDescriptorOptions}.
 * @returns values Float32Array [nAtoms, d] (row per atom) and the d descriptor names.
 */
export function zernikeDescriptors(
  volume: Volume,
  positionsA: Float64Array,
  options: ZernikeDescriptorOptions = {},
): { values: Float32Array; names: string[] } {
  const job = descriptorJob(volume, positionsA, options);
  for (let first = 0; first < job.nAtoms;) first += job.step(first);
  return job.result();
}

/**
 * {@link zernikeDescriptors} in chunks of 1,024 atoms, yielding to the event loop between chunks (so a
 * notebook kernel stays responsive) and reporting progress as stage 'zernike' (done/total in atoms).
 * Same arguments and result; `options.onProgress` receives at most ~100 events.
 */
export async function zernikeDescriptorsAsync(
  volume: Volume,
  positionsA: Float64Array,
  options: ZernikeDescriptorOptions & { onProgress?: ProgressCallback } = {},
): Promise<{ values: Float32Array; names: string[] }> {
  const job = descriptorJob(volume, positionsA, options);
  const report = throttledProgress('zernike', job.nAtoms, options.onProgress);
  for (let first = 0; first < job.nAtoms;) {
    first += job.step(first);
    report(first);
    await yieldToEventLoop();
  }
  return job.result();
}
