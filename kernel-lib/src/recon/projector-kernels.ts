/**
 * The inner loops of the voxel-driven projector, kept free of imports and closures so that the very
 * same functions run on the main thread and (via `Function.prototype.toString`) inside worker threads.
 *
 * Geometry (core/geometry.ts): voxel (k, j, i) sits at r = (i − ci, j − cj, k − ck) voxels from the
 * rotation centre; r' = R·r; it lands on the detector at u = r'_x + cu, v = r'_y + cv (pixels; voxel
 * edge = pixel edge). Its value is split over the four surrounding pixels with bilinear weights
 * (weights sum to 1, so the integrated weight is conserved). The adjoint gathers with the same
 * weights. Both work on a detector padded by one pixel on every side, so every tap of a voxel whose
 * (u, v) lies in [−1, n) is a valid address; taps on the pad are dropped (forward) or read zero
 * (adjoint) — the same rule both ways, which makes the pair exact adjoints.
 *
 * For a fixed angle (u, v) are affine in (i, j, k): along a row of i only `r0·i` and `r3·i` change.
 * When r3 = 0 (every single-axis tilt about y) v is constant along the row, and when it is also an
 * integer the second detector row gets weight 0 and is skipped: a 2-tap loop with identical results.
 */

/**
 * Forward-projects `vol` for angles [aStart, aEnd) into `out` ([nAngles, dny, dnx], C order).
 * `rot` holds 9 row-major rotation entries per angle; `pad` is scratch of (dny+2)·(dnx+2) float64.
 */
export function forwardKernel(
  vol: Float32Array,
  nz: number,
  ny: number,
  nx: number,
  rot: Float64Array,
  dny: number,
  dnx: number,
  aStart: number,
  aEnd: number,
  out: Float32Array,
  pad: Float64Array,
): void {
  const ci = Math.floor(nx / 2),
    cj = Math.floor(ny / 2),
    ck = Math.floor(nz / 2);
  // Detector centre in padded coordinates (+1): a tap index is then just the truncated coordinate.
  const cu = Math.floor(dnx / 2) + 1,
    cv = Math.floor(dny / 2) + 1;
  const uMax = dnx + 1,
    vMax = dny + 1;
  const W = dnx + 2;
  for (let a = aStart; a < aEnd; a++) {
    pad.fill(0);
    const o = 9 * a;
    const r0 = rot[o],
      r1 = rot[o + 1],
      r2 = rot[o + 2],
      r3 = rot[o + 3],
      r4 = rot[o + 4],
      r5 = rot[o + 5];
    for (let k = 0; k < nz; k++) {
      const dz = k - ck;
      for (let j = 0; j < ny; j++) {
        const dy = j - cj;
        const uRow = -r0 * ci + r1 * dy + r2 * dz + cu;
        const vRow = -r3 * ci + r4 * dy + r5 * dz + cv;
        const base = (k * ny + j) * nx;
        if (r3 === 0) {
          if (!(vRow >= 0 && vRow < vMax)) continue;
          const vf = vRow | 0;
          const fv = vRow - vf;
          const row0 = vf * W;
          if (fv === 0) {
            for (let i = 0; i < nx; i++) {
              const u = uRow + r0 * i;
              if (!(u >= 0 && u < uMax)) continue;
              const uf = u | 0;
              const fu = u - uf;
              const val = vol[base + i];
              const p = row0 + uf;
              pad[p] += val - val * fu;
              pad[p + 1] += val * fu;
            }
          } else {
            const gv = 1 - fv;
            for (let i = 0; i < nx; i++) {
              const u = uRow + r0 * i;
              if (!(u >= 0 && u < uMax)) continue;
              const uf = u | 0;
              const fu = u - uf;
              const val = vol[base + i];
              const a0 = val - val * fu,
                a1 = val * fu;
              const p = row0 + uf;
              pad[p] += a0 * gv;
              pad[p + 1] += a1 * gv;
              pad[p + W] += a0 * fv;
              pad[p + W + 1] += a1 * fv;
            }
          }
        } else {
          for (let i = 0; i < nx; i++) {
            const u = uRow + r0 * i;
            const v = vRow + r3 * i;
            if (!(u >= 0 && u < uMax && v >= 0 && v < vMax)) continue;
            const uf = u | 0,
              vf = v | 0;
            const fu = u - uf,
              fv = v - vf;
            const val = vol[base + i];
            const a0 = val - val * fu,
              a1 = val * fu;
            const p = vf * W + uf;
            pad[p] += a0 - a0 * fv;
            pad[p + 1] += a1 - a1 * fv;
            pad[p + W] += a0 * fv;
            pad[p + W + 1] += a1 * fv;
          }
        }
      }
    }
    const ob = a * dny * dnx;
    for (let y = 0; y < dny; y++) {
      const src = (y + 1) * W + 1,
        dst = ob + y * dnx;
      for (let x = 0; x < dnx; x++) out[dst + x] = pad[src + x];
    }
  }
}

/**
 * Adjoint (back-projection) of `forwardKernel` for the volume slabs k ∈ [kStart, kEnd), all angles.
 * `padded` holds the projections on the padded detector: nAngles × (dny+2) × (dnx+2) float32, zero
 * border. Writes (overwrites) vol[k, :, :] for the slab. `acc` is scratch of nx float64.
 */
export function adjointKernel(
  padded: Float32Array,
  nAngles: number,
  rot: Float64Array,
  dny: number,
  dnx: number,
  vol: Float32Array,
  nz: number,
  ny: number,
  nx: number,
  kStart: number,
  kEnd: number,
  acc: Float64Array,
): void {
  const ci = Math.floor(nx / 2),
    cj = Math.floor(ny / 2),
    ck = Math.floor(nz / 2);
  // Detector centre in padded coordinates (+1): a tap index is then just the truncated coordinate.
  const cu = Math.floor(dnx / 2) + 1,
    cv = Math.floor(dny / 2) + 1;
  const uMax = dnx + 1,
    vMax = dny + 1;
  const W = dnx + 2;
  const P = (dny + 2) * W;
  for (let k = kStart; k < kEnd; k++) {
    const dz = k - ck;
    for (let j = 0; j < ny; j++) {
      const dy = j - cj;
      acc.fill(0);
      for (let a = 0; a < nAngles; a++) {
        const o = 9 * a;
        const r0 = rot[o],
          r3 = rot[o + 3];
        const uRow = -r0 * ci + rot[o + 1] * dy + rot[o + 2] * dz + cu;
        const vRow = -r3 * ci + rot[o + 4] * dy + rot[o + 5] * dz + cv;
        const pb = a * P;
        if (r3 === 0) {
          if (!(vRow >= 0 && vRow < vMax)) continue;
          const vf = vRow | 0;
          const fv = vRow - vf;
          const row0 = pb + vf * W;
          if (fv === 0) {
            for (let i = 0; i < nx; i++) {
              const u = uRow + r0 * i;
              if (!(u >= 0 && u < uMax)) continue;
              const uf = u | 0;
              const fu = u - uf;
              const p = row0 + uf;
              acc[i] += padded[p] + (padded[p + 1] - padded[p]) * fu;
            }
          } else {
            const gv = 1 - fv;
            for (let i = 0; i < nx; i++) {
              const u = uRow + r0 * i;
              if (!(u >= 0 && u < uMax)) continue;
              const uf = u | 0;
              const fu = u - uf;
              const p = row0 + uf;
              const top = padded[p] + (padded[p + 1] - padded[p]) * fu;
              const bot = padded[p + W] + (padded[p + W + 1] - padded[p + W]) * fu;
              acc[i] += top * gv + bot * fv;
            }
          }
        } else {
          for (let i = 0; i < nx; i++) {
            const u = uRow + r0 * i;
            const v = vRow + r3 * i;
            if (!(u >= 0 && u < uMax && v >= 0 && v < vMax)) continue;
            const uf = u | 0,
              vf = v | 0;
            const fu = u - uf,
              fv = v - vf;
            const p = pb + vf * W + uf;
            const top = padded[p] + (padded[p + 1] - padded[p]) * fu;
            const bot = padded[p + W] + (padded[p + W + 1] - padded[p + W]) * fu;
            acc[i] += top + (bot - top) * fv;
          }
        }
      }
      const base = (k * ny + j) * nx;
      for (let i = 0; i < nx; i++) vol[base + i] = acc[i];
    }
  }
}
