/**
 * 3D Zernike functions (Canterakis 1999; Novotni & Klein 2003), real form:
 *
 *   Z_nl^m(r, θ, φ) = R_nl(r) · Y_l^m(θ, φ),   0 ≤ l ≤ n, n − l even, −l ≤ m ≤ l,
 *   R_nl(r) = √(2n+3) · r^l · P_k^(0, l+½)(2r² − 1),  k = (n − l)/2,
 *
 * with P^(α,β) the Jacobi polynomials and Y_l^m the REAL orthonormal spherical harmonics
 * (no Condon–Shortley phase; m > 0 ↔ √2·cos mφ, m < 0 ↔ √2·sin |m|φ). With the substitution
 * t = 2r² − 1 the radial integral ∫₀¹ R_nl R_n'l r² dr becomes the Jacobi orthogonality integral with
 * weight (1+t)^(l+½), whose norm 2^(l+3/2)/(2k+l+3/2) is cancelled exactly by the √(2n+3) factor,
 * so {Z_nl^m} is orthonormal on the unit ball: ∫_B Z_nl^m Z_n'l'^m' dV = δ_nn' δ_ll' δ_mm'.
 * Real harmonics of one l mix under a rotation by an orthogonal (2l+1)×(2l+1) matrix, so the norm over
 * m of the moments of one (n, l) is rotation-invariant.
 *
 * Moments are indexed in the order n = 0…N, l = n mod 2, …, n (step 2), m = −l…l.
 */
import { PannError } from '../../core/errors';
import { ballGrid } from './local-density';

/** Index tables of the moments up to an order. */
export interface ZernikeIndex {
  /** Maximum order N. */
  order: number;
  /** Number of moments (all n, l, m). */
  count: number;
  /** n, l, m of each moment. */
  n: Int32Array;
  l: Int32Array;
  m: Int32Array;
  /** The (n, l) pairs with n − l even, in moment order; one rotation invariant each. */
  pairs: Array<{ n: number; l: number }>;
  /** Index into `pairs` of each moment. */
  pairOf: Int32Array;
}

const indexCache = new Map<number, ZernikeIndex>();

/** Largest supported order (factorials of l + m ≤ 2N stay exact enough in double precision). */
export const MAX_ZERNIKE_ORDER = 20;

/**
 * The index tables of all moments up to `order` (cached).
 * @param order maximum order N (integer, 0…20).
 */
export function zernikeIndex(order: number): ZernikeIndex {
  checkOrder(order);
  const cached = indexCache.get(order);
  if (cached) return cached;
  const n: number[] = [],
    l: number[] = [],
    m: number[] = [],
    pairOf: number[] = [];
  const pairs: Array<{ n: number; l: number }> = [];
  for (let nn = 0; nn <= order; nn++) {
    for (let ll = nn % 2; ll <= nn; ll += 2) {
      pairs.push({ n: nn, l: ll });
      for (let mm = -ll; mm <= ll; mm++) {
        n.push(nn);
        l.push(ll);
        m.push(mm);
        pairOf.push(pairs.length - 1);
      }
    }
  }
  const index: ZernikeIndex = {
    order,
    count: n.length,
    n: Int32Array.from(n),
    l: Int32Array.from(l),
    m: Int32Array.from(m),
    pairs,
    pairOf: Int32Array.from(pairOf),
  };
  indexCache.set(order, index);
  return index;
}

/**
 * Position of Z_nl^m in the moment order of {@link zernikeIndex}.
 * @param order maximum order N; n, l, m the indices (n − l even, |m| ≤ l ≤ n ≤ N).
 */
export function zernikeMomentIndex(order: number, n: number, l: number, m: number): number {
  const index = zernikeIndex(order);
  for (let j = 0; j < index.count; j++) {
    if (index.n[j] === n && index.l[j] === l && index.m[j] === m) return j;
  }
  throw new PannError(
    'OPTION',
    `no Zernike moment (n=${n}, l=${l}, m=${m}) up to order ${order} (need n − l even, |m| ≤ l ≤ n ≤ order)`,
    {
      field: 'n, l, m',
    },
  );
}

function checkOrder(order: number): void {
  if (!Number.isInteger(order) || order < 0 || order > MAX_ZERNIKE_ORDER) {
    throw new PannError('OPTION', `order must be an integer in 0…${MAX_ZERNIKE_ORDER}, got ${order}`, {
      field: 'order',
    });
  }
}

/** Normalisation √((2l+1)/(4π) · (l−m)!/(l+m)!) of the associated Legendre functions, [l*(lmax+1) + m]. */
function legendreNorms(lmax: number): Float64Array {
  const fact = [1];
  for (let i = 1; i <= 2 * lmax; i++) fact.push(fact[i - 1] * i);
  const out = new Float64Array((lmax + 1) * (lmax + 1));
  for (let l = 0; l <= lmax; l++) {
    for (let m = 0; m <= l; m++)
      out[l * (lmax + 1) + m] = Math.sqrt(((2 * l + 1) / (4 * Math.PI)) * (fact[l - m] / fact[l + m]));
  }
  return out;
}

const normCache = new Map<number, Float64Array>();

/**
 * Real orthonormal spherical harmonics Y_l^m of a unit vector, all l ≤ lmax, written to
 * `out[l² + l + m]`. Computed in Cartesian form (sin^m θ · e^{imφ} = (ux + i·uy)^m), so the poles
 * need no special case.
 * @param lmax maximum degree; ux, uy, uz a unit vector; out length ≥ (lmax+1)².
 */
export function realSphericalHarmonics(
  lmax: number,
  ux: number,
  uy: number,
  uz: number,
  out: Float64Array,
): void {
  let norms = normCache.get(lmax);
  if (!norms) {
    norms = legendreNorms(lmax);
    normCache.set(lmax, norms);
  }
  const stride = lmax + 1;
  // (ux + i uy)^m, built up in m.
  let re = 1,
    im = 0;
  let qmm = 1; // (2m − 1)!!
  for (let m = 0; m <= lmax; m++) {
    if (m > 0) {
      const nre = re * ux - im * uy;
      im = re * uy + im * ux;
      re = nre;
      qmm *= 2 * m - 1;
    }
    // Q_lm = P_l^m / sin^m θ by the upward recurrence in l.
    let qPrev = 0,
      q = qmm;
    for (let l = m; l <= lmax; l++) {
      if (l === m + 1) {
        qPrev = q;
        q = (2 * m + 1) * uz * qmm;
      } else if (l > m + 1) {
        const next = ((2 * l - 1) * uz * q - (l + m - 1) * qPrev) / (l - m);
        qPrev = q;
        q = next;
      }
      const k = norms[l * stride + m] * q;
      if (m === 0) out[l * l + l] = k;
      else {
        out[l * l + l + m] = Math.SQRT2 * k * re;
        out[l * l + l - m] = Math.SQRT2 * k * im;
      }
    }
  }
}

/**
 * Radial polynomials R_nl(r) for all (n, l) with n ≤ order, written to `out[n*(order+1) + l]`
 * (entries with n − l odd are left untouched).
 * @param order maximum order N; r radius in unit-ball units (0 ≤ r ≤ ~1).
 */
export function zernikeRadial(order: number, r: number, out: Float64Array): void {
  const stride = order + 1;
  const x = 2 * r * r - 1;
  let rl = 1; // r^l
  for (let l = 0; l <= order; l++) {
    if (l > 0) rl *= r;
    const beta = l + 0.5;
    // Jacobi P_k^(0, β)(x) by the three-term recurrence in k.
    let pPrev = 0,
      p = 1;
    for (let k = 0; l + 2 * k <= order; k++) {
      if (k === 1) {
        pPrev = p;
        p = 1 + ((beta + 2) * (x - 1)) / 2;
      } else if (k > 1) {
        const s = 2 * k + beta;
        const a1 = 2 * k * (k + beta) * (s - 2);
        const a2 = (s - 1) * (-beta * beta);
        const a3 = (s - 2) * (s - 1) * s;
        const a4 = 2 * (k - 1) * (k + beta - 1) * s;
        const next = ((a2 + a3 * x) * p - a4 * pPrev) / a1;
        pPrev = p;
        p = next;
      }
      const n = l + 2 * k;
      out[n * stride + l] = Math.sqrt(2 * n + 3) * rl * p;
    }
  }
}

/**
 * All Zernike functions Z_nl^m up to `order` at one point of the unit ball, in moment order.
 * @param order maximum order N; x, y, z the point in unit-ball units; out length ≥ zernikeIndex(order).count.
 */
export function evaluateZernike(order: number, x: number, y: number, z: number, out: Float64Array): void {
  const index = zernikeIndex(order);
  const radial = new Float64Array((order + 1) * (order + 1));
  const ylm = new Float64Array((order + 1) * (order + 1));
  evaluateInto(index, x, y, z, radial, ylm, out);
}

function evaluateInto(
  index: ZernikeIndex,
  x: number,
  y: number,
  z: number,
  radial: Float64Array,
  ylm: Float64Array,
  out: Float64Array,
): void {
  const order = index.order;
  const r = Math.sqrt(x * x + y * y + z * z);
  // At the origin the direction is arbitrary: every l > 0 term carries r^l = 0.
  const ux = r > 0 ? x / r : 0,
    uy = r > 0 ? y / r : 0,
    uz = r > 0 ? z / r : 1;
  zernikeRadial(order, r, radial);
  realSphericalHarmonics(order, ux, uy, uz, ylm);
  for (let j = 0; j < index.count; j++) {
    const l = index.l[j];
    out[j] = radial[index.n[j] * (order + 1) + l] * ylm[l * l + l + index.m[j]];
  }
}

/**
 * Parity class of a real Z_nl^m under the mirrors x → −x, y → −y, z → −z: bit 0/1/2 set when the
 * function is odd under the x/y/z mirror. (ux + i·uy)^m → (−1)^m conj under x → −x and → conj under
 * y → −y; P_l^m(−cos θ) = (−1)^(l+m) P_l^m(cos θ) under z → −z.
 */
export function mirrorParityClass(l: number, m: number): number {
  const am = Math.abs(m);
  const px = m >= 0 ? am & 1 : (am + 1) & 1;
  const py = m < 0 ? 1 : 0;
  const pz = (l + am) & 1;
  return px | (py << 1) | (pz << 2);
}

/**
 * The Zernike basis sampled on the ball grid and folded onto one octant.
 *
 * The grid is symmetric under the three coordinate mirrors and every real Z_nl^m is even or odd under
 * each, so Ω = Σ_p w_p f_p Z(p) over the whole grid equals Σ_q w_q Z(q) · g_c(q) over the octant
 * x, y, z > 0, where g_c(q) = Σ_s (−1)^{popcount(s & c)} f(mirror_s q) is the Walsh–Hadamard fold of
 * the 8 mirror images of q for the function's parity class c. This cuts the matrix product 8×.
 */
export interface ZernikeGridBasis {
  order: number;
  gridSize: number;
  index: ZernikeIndex;
  /** Number of octant points (x, y, z > 0): count / 8. */
  nOctant: number;
  /** For each octant point, the 8 grid indices of its mirror images; image s has the x/y/z coordinate negated for bit 0/1/2 of s. [nOctant, 8] */
  images: Int32Array;
  /** Parity class of each moment (see {@link mirrorParityClass}). */
  classOf: Uint8Array;
  /** Moment indices sorted by parity class, so moments sharing a fold are adjacent. */
  byClass: Int32Array;
  /** Start of each class in `byClass` (length 9). */
  classStart: Int32Array;
  /** Quadrature weight × basis value on the octant, [nMoments, nOctant] (moment order). */
  weighted: Float64Array;
}

const basisCache = new Map<string, ZernikeGridBasis>();

/** Smallest even grid size that integrates products of Zernike functions up to `order` exactly: order + 2, rounded up to even. */
export function minimumGridSize(order: number): number {
  return order + 2 + (order % 2);
}

/**
 * The Zernike basis on the ball grid of `gridSize` (cached per (order, gridSize)).
 * @param order maximum order N; gridSize nodes in r and cos θ of the ball grid (even, ≥ N + 2 so that
 *   the sampled basis is orthonormal to rounding error).
 */
export function zernikeGridBasis(order: number, gridSize: number): ZernikeGridBasis {
  const key = `${order}/${gridSize}`;
  const cached = basisCache.get(key);
  if (cached) return cached;
  const index = zernikeIndex(order);
  if (!Number.isInteger(gridSize) || gridSize < minimumGridSize(order)) {
    throw new PannError(
      'OPTION',
      `gridSize ${gridSize} is too coarse for Zernike order ${order}: need an even gridSize ≥ ${minimumGridSize(order)} (order + 2) for an orthonormal sampled basis`,
      { field: 'gridSize' },
    );
  }
  const grid = ballGrid(gridSize);
  const { nRadial, nPolar, nAzimuth } = grid;
  const nOctant = grid.count / 8;
  const images = new Int32Array(nOctant * 8);
  const weighted = new Float64Array(index.count * nOctant);
  const values = new Float64Array(index.count);
  const radial = new Float64Array((order + 1) * (order + 1));
  const ylm = new Float64Array((order + 1) * (order + 1));
  let q = 0;
  // Octant x, y, z > 0: cos θ > 0 (upper half of the ascending polar nodes) and φ < π/2.
  for (let ir = 0; ir < nRadial; ir++) {
    for (let it = nPolar / 2; it < nPolar; it++) {
      for (let ip = 0; ip < nAzimuth / 4; ip++, q++) {
        for (let s = 0; s < 8; s++) {
          // φ → π − φ (x mirror), φ → −φ (y mirror), cos θ → −cos θ (z mirror).
          let jp = ip;
          if (s & 2) jp = nAzimuth - 1 - jp;
          if (s & 1) jp = (((nAzimuth / 2 - 1 - jp) % nAzimuth) + nAzimuth) % nAzimuth;
          const jt = s & 4 ? nPolar - 1 - it : it;
          images[q * 8 + s] = (ir * nPolar + jt) * nAzimuth + jp;
        }
        const p = images[q * 8];
        evaluateInto(index, grid.x[p], grid.y[p], grid.z[p], radial, ylm, values);
        const w = grid.weights[p];
        for (let j = 0; j < index.count; j++) weighted[j * nOctant + q] = w * values[j];
      }
    }
  }
  const classOf = new Uint8Array(index.count);
  for (let j = 0; j < index.count; j++) classOf[j] = mirrorParityClass(index.l[j], index.m[j]);
  const byClass = new Int32Array(index.count);
  const classStart = new Int32Array(9);
  let pos = 0;
  for (let c = 0; c < 8; c++) {
    classStart[c] = pos;
    for (let j = 0; j < index.count; j++) if (classOf[j] === c) byClass[pos++] = j;
  }
  classStart[8] = pos;
  const basis: ZernikeGridBasis = {
    order,
    gridSize,
    index,
    nOctant,
    images,
    classOf,
    byClass,
    classStart,
    weighted,
  };
  basisCache.set(key, basis);
  return basis;
}
