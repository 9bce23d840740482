/**
 * Sub-voxel refinement of a local maximum.
 * - 'polynomial': least-squares quadratic (10 terms) over the 3×3×3 neighbourhood; the vertex is the position.
 * - 'gaussian': Levenberg–Marquardt fit of b + A·exp(−|r − r0|²/(2s²)) (isotropic Gaussian on a constant
 *   background, 6 parameters) over a sphere of radius `fitRadiusVoxels`, started from the polynomial vertex.
 *   Falls back to the polynomial result when the fit fails (moves > 1.5 voxels, A ≤ 0, s ≤ 0, NaN).
 * - 'none': the voxel centre.
 * Positions are in voxel index units (x = i, y = j, z = k); `peak` is the fitted intensity at the refined
 * centre (b + A for the Gaussian); `residual` the RMS fit residual divided by |peak| (0 when not fitted).
 */
import type { Shape3 } from '../core/types';

/** LM limits: a good start converges in 3–6 iterations; noise maxima need not converge exactly. */
const MAX_ITER = 12;
const STEP_TOL = 1e-3;

export type RefineMethod = 'gaussian' | 'polynomial' | 'none';

/** Result slots reused across calls (no allocation per candidate). */
export interface RefinedPeak {
  x: number;
  y: number;
  z: number;
  peak: number;
  residual: number;
  /** Fitted Gaussian σ in voxels (NaN unless the Gaussian fit succeeded). */
  sigmaVoxels: number;
}

/** Workspace for the refiners; create once per trace with `createRefiner`. */
export interface Refiner {
  refine(idx: number, out: RefinedPeak): void;
}

/** Builds a refiner for one volume. `fitRadiusVoxels` (≥ 1) sets the Gaussian fit window. */
export function createRefiner(
  data: Float32Array,
  shape: Shape3,
  method: RefineMethod,
  fitRadiusVoxels: number,
): Refiner {
  const [nz, ny, nx] = shape;
  const sxy = nx * ny;
  // Window offsets within a sphere of radius rw + 0.5 voxels.
  const rw = Math.max(1, Math.round(fitRadiusVoxels));
  const wdx: number[] = [],
    wdy: number[] = [],
    wdz: number[] = [];
  for (let dz = -rw; dz <= rw; dz++)
    for (let dy = -rw; dy <= rw; dy++)
      for (let dx = -rw; dx <= rw; dx++)
        if (dx * dx + dy * dy + dz * dz <= (rw + 0.5) * (rw + 0.5)) {
          wdx.push(dx);
          wdy.push(dy);
          wdz.push(dz);
        }
  const nw = wdx.length;
  const px = new Float64Array(nw),
    py = new Float64Array(nw),
    pz = new Float64Array(nw),
    pv = new Float64Array(nw);
  // exp terms at the current parameters and at the trial ones (swapped on acceptance: no recomputation).
  let eCur = new Float64Array(nw),
    eTrial = new Float64Array(nw);
  const nb = new Float64Array(27);
  let lastCurvature = NaN; // mean diagonal Hessian of the last polynomial fit (σ start for the Gaussian)
  const JtJ = new Float64Array(36),
    Jtr = new Float64Array(6),
    A = new Float64Array(36),
    step = new Float64Array(6),
    J = new Float64Array(6),
    p = new Float64Array(6),
    trial = new Float64Array(6);

  /** Quadratic fit on 3×3×3 around (i,j,k); writes vertex offset and value into out (relative). Returns false if not a maximum. */
  function polynomial(i: number, j: number, k: number, out: RefinedPeak): boolean {
    const idx = k * sxy + j * nx + i;
    let q = 0;
    let sum = 0;
    for (let dz = -1; dz <= 1; dz++)
      for (let dy = -1; dy <= 1; dy++)
        for (let dx = -1; dx <= 1; dx++) {
          const v = data[idx + dz * sxy + dy * nx + dx];
          nb[q++] = v;
          sum += v;
        }
    // Orthogonal basis on the symmetric stencil: Σx² = 18, Σ(x² − 2/3)² = 6, Σ(xy)² = 12.
    let gx = 0,
      gy = 0,
      gz = 0,
      cxx = 0,
      cyy = 0,
      czz = 0,
      cxy = 0,
      cxz = 0,
      cyz = 0;
    q = 0;
    for (let dz = -1; dz <= 1; dz++)
      for (let dy = -1; dy <= 1; dy++)
        for (let dx = -1; dx <= 1; dx++) {
          const v = nb[q++];
          gx += dx * v;
          gy += dy * v;
          gz += dz * v;
          cxx += (dx * dx - 2 / 3) * v;
          cyy += (dy * dy - 2 / 3) * v;
          czz += (dz * dz - 2 / 3) * v;
          cxy += dx * dy * v;
          cxz += dx * dz * v;
          cyz += dy * dz * v;
        }
    gx /= 18;
    gy /= 18;
    gz /= 18;
    cxx /= 6;
    cyy /= 6;
    czz /= 6;
    cxy /= 12;
    cxz /= 12;
    cyz /= 12;
    const c0 = sum / 27 - (2 / 3) * (cxx + cyy + czz);
    // Hessian H = [[2cxx, cxy, cxz], [cxy, 2cyy, cyz], [cxz, cyz, 2czz]]; must be negative definite.
    const h00 = 2 * cxx,
      h11 = 2 * cyy,
      h22 = 2 * czz;
    const m1 = h00;
    const m2 = h00 * h11 - cxy * cxy;
    const det = h00 * (h11 * h22 - cyz * cyz) - cxy * (cxy * h22 - cyz * cxz) + cxz * (cxy * cyz - h11 * cxz);
    out.sigmaVoxels = NaN;
    out.residual = 0;
    if (!(m1 < 0 && m2 > 0 && det < 0)) return false;
    // s = −H⁻¹ g via the adjugate.
    const i00 = h11 * h22 - cyz * cyz,
      i01 = cxz * cyz - cxy * h22,
      i02 = cxy * cyz - cxz * h11;
    const i11 = h00 * h22 - cxz * cxz,
      i12 = cxy * cxz - h00 * cyz,
      i22 = h00 * h11 - cxy * cxy;
    const sx = -(i00 * gx + i01 * gy + i02 * gz) / det;
    const sy = -(i01 * gx + i11 * gy + i12 * gz) / det;
    const sz = -(i02 * gx + i12 * gy + i22 * gz) / det;
    if (!(Math.abs(sx) <= 1 && Math.abs(sy) <= 1 && Math.abs(sz) <= 1)) return false;
    out.x = i + sx;
    out.y = j + sy;
    out.z = k + sz;
    out.peak = c0 + 0.5 * (gx * sx + gy * sy + gz * sz);
    // Curvature → σ estimate for a Gaussian start: ∂²/∂x² of A·exp(−r²/2s²) at the centre is −A/s².
    lastCurvature = (h00 + h11 + h22) / 3;
    return true;
  }

  function gaussian(i: number, j: number, k: number, out: RefinedPeak): boolean {
    const x0 = out.x - i,
      y0 = out.y - j,
      z0 = out.z - k; // start: polynomial vertex
    const curvature = lastCurvature;
    // Gather the window (relative coordinates), skipping voxels outside the volume.
    let m = 0;
    let vmin = Infinity;
    for (let w = 0; w < nw; w++) {
      const ii = i + wdx[w],
        jj = j + wdy[w],
        kk = k + wdz[w];
      if (ii < 0 || jj < 0 || kk < 0 || ii >= nx || jj >= ny || kk >= nz) continue;
      px[m] = wdx[w];
      py[m] = wdy[w];
      pz[m] = wdz[w];
      const v = data[kk * sxy + jj * nx + ii];
      pv[m] = v;
      if (v < vmin) vmin = v;
      m++;
    }
    if (m < 10) return false;
    p[0] = Math.max(out.peak - vmin, 1e-12);
    p[1] = x0;
    p[2] = y0;
    p[3] = z0;
    const s0 = curvature < 0 ? Math.sqrt(p[0] / -curvature) : 1;
    p[4] = Math.min(Math.max(s0, 0.5), rw + 1);
    p[5] = vmin;
    let cost = gaussCost(p, m, eCur);
    let lambda = 1e-3;
    for (let iter = 0; iter < MAX_ITER; iter++) {
      // Normal equations JᵀJ δ = Jᵀr at p.
      JtJ.fill(0);
      Jtr.fill(0);
      const a = p[0],
        s = p[4];
      for (let q = 0; q < m; q++) {
        const dx = px[q] - p[1],
          dy = py[q] - p[2],
          dz = pz[q] - p[3];
        const r2 = dx * dx + dy * dy + dz * dz;
        const e = eCur[q];
        const r = pv[q] - (p[5] + a * e);
        const ae_s2 = (a * e) / (s * s);
        J[0] = e;
        J[1] = ae_s2 * dx;
        J[2] = ae_s2 * dy;
        J[3] = ae_s2 * dz;
        J[4] = (ae_s2 * r2) / s;
        J[5] = 1;
        for (let u = 0; u < 6; u++) {
          Jtr[u] += J[u] * r;
          for (let v = 0; v <= u; v++) JtJ[u * 6 + v] += J[u] * J[v];
        }
      }
      let improved = false;
      for (let attempt = 0; attempt < 4 && !improved; attempt++) {
        for (let u = 0; u < 6; u++)
          for (let v = 0; v <= u; v++) {
            const val = JtJ[u * 6 + v] * (u === v ? 1 + lambda : 1);
            A[u * 6 + v] = val;
            A[v * 6 + u] = val;
          }
        if (!solveSymmetric6(A, Jtr, step)) {
          lambda *= 10;
          continue;
        }
        for (let u = 0; u < 6; u++) trial[u] = p[u] + step[u];
        const c = trial[4] > 0.05 ? gaussCost(trial, m, eTrial) : Infinity;
        if (c <= cost) {
          const moved = Math.max(Math.abs(step[1]), Math.abs(step[2]), Math.abs(step[3]));
          p.set(trial);
          cost = c;
          const swap = eCur;
          eCur = eTrial;
          eTrial = swap;
          lambda = Math.max(lambda / 10, 1e-9);
          improved = true;
          if (moved < STEP_TOL) iter = MAX_ITER; // converged: the centre moves < 1e-3 voxel
        } else {
          lambda *= 10;
        }
      }
      if (!improved) break;
    }
    const ok =
      Number.isFinite(cost) &&
      p[0] > 0 &&
      p[4] > 0 &&
      Math.abs(p[1]) <= 1.5 &&
      Math.abs(p[2]) <= 1.5 &&
      Math.abs(p[3]) <= 1.5;
    if (!ok) return false;
    out.x = i + p[1];
    out.y = j + p[2];
    out.z = k + p[3];
    out.peak = p[0] + p[5];
    out.sigmaVoxels = p[4];
    out.residual = Math.sqrt(cost / m) / Math.max(Math.abs(out.peak), 1e-300);
    return true;
  }

  /** Sum of squared residuals at parameters q; stores the exp terms in `e`. */
  function gaussCost(q: Float64Array, m: number, e: Float64Array): number {
    const inv2s2 = 1 / (2 * q[4] * q[4]);
    let c = 0;
    for (let t = 0; t < m; t++) {
      const dx = px[t] - q[1],
        dy = py[t] - q[2],
        dz = pz[t] - q[3];
      const et = Math.exp(-(dx * dx + dy * dy + dz * dz) * inv2s2);
      e[t] = et;
      const r = pv[t] - (q[5] + q[0] * et);
      c += r * r;
    }
    return c;
  }

  return {
    refine(idx: number, out: RefinedPeak): void {
      const k = Math.floor(idx / sxy);
      const rem = idx - k * sxy;
      const j = Math.floor(rem / nx);
      const i = rem - j * nx;
      out.x = i;
      out.y = j;
      out.z = k;
      out.peak = data[idx];
      out.residual = 0;
      out.sigmaVoxels = NaN;
      if (method === 'none') return;
      const inside = i > 0 && j > 0 && k > 0 && i < nx - 1 && j < ny - 1 && k < nz - 1;
      if (!inside || !polynomial(i, j, k, out)) {
        out.x = i;
        out.y = j;
        out.z = k;
        out.peak = data[idx];
        lastCurvature = NaN;
        if (method === 'polynomial') return;
      }
      if (method === 'gaussian') {
        const sx = out.x,
          sy = out.y,
          sz = out.z,
          sp = out.peak;
        if (!gaussian(i, j, k, out)) {
          out.x = sx;
          out.y = sy;
          out.z = sz;
          out.peak = sp;
          out.residual = 0;
          out.sigmaVoxels = NaN;
        }
      }
    },
  };
}

/** Solves the symmetric positive-definite 6×6 system A x = b by Cholesky; false if not positive definite. */
function solveSymmetric6(A: Float64Array, b: Float64Array, x: Float64Array): boolean {
  const L = A; // factor in place (A is a scratch copy)
  for (let c = 0; c < 6; c++) {
    let d = L[c * 6 + c];
    for (let t = 0; t < c; t++) d -= L[c * 6 + t] * L[c * 6 + t];
    if (!(d > 0)) return false;
    d = Math.sqrt(d);
    L[c * 6 + c] = d;
    for (let r = c + 1; r < 6; r++) {
      let s = L[r * 6 + c];
      for (let t = 0; t < c; t++) s -= L[r * 6 + t] * L[c * 6 + t];
      L[r * 6 + c] = s / d;
    }
  }
  for (let r = 0; r < 6; r++) {
    let s = b[r];
    for (let t = 0; t < r; t++) s -= L[r * 6 + t] * x[t];
    x[r] = s / L[r * 6 + r];
  }
  for (let r = 5; r >= 0; r--) {
    let s = x[r];
    for (let t = r + 1; t < 6; t++) s -= L[t * 6 + r] * x[t];
    x[r] = s / L[r * 6 + r];
  }
  return true;
}
