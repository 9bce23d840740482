/** Small volume utilities of the refinement stage: robust intensity scale, crops, flips, resampling. */
import type { Shape3 } from '../core/types';

/**
 * The intensity scale a reconstruction is divided by before the network: its 99.9th percentile
 * (≈ the peak height of the brighter atoms for particles of 10²–10⁴ atoms in a 64³ frame), so the
 * network sees the same range at every dose and for every engine's units.
 */
export function robustScale(data: Float32Array): number {
  const step = Math.max(1, Math.floor(data.length / 200_000));
  const s = new Float32Array(Math.ceil(data.length / step));
  for (let i = 0, j = 0; i < data.length; i += step, j++) s[j] = data[i];
  s.sort();
  const v = s[Math.min(s.length - 1, Math.floor(0.999 * s.length))];
  return v > 0 ? v : 1;
}

/** Copies the cube [z0, z0+e) × [y0, y0+e) × [x0, x0+e) of `src` into `out` (zero outside `src`). */
export function cropCube(
  src: Float32Array,
  shape: Shape3,
  z0: number,
  y0: number,
  x0: number,
  e: number,
  out = new Float32Array(e * e * e),
): Float32Array {
  const [nz, ny, nx] = shape;
  out.fill(0);
  for (let k = 0; k < e; k++) {
    const z = z0 + k;
    if (z < 0 || z >= nz) continue;
    for (let j = 0; j < e; j++) {
      const y = y0 + j;
      if (y < 0 || y >= ny) continue;
      const srow = (z * ny + y) * nx;
      const drow = (k * e + j) * e;
      for (let i = 0; i < e; i++) {
        const x = x0 + i;
        if (x >= 0 && x < nx) out[drow + i] = src[srow + x];
      }
    }
  }
  return out;
}

/** Flips a cube of edge `e` in place along z, y and/or x (bit 4, 2, 1 of `mask`). */
export function flipCube(v: Float32Array, e: number, mask: number): void {
  flipVolume(v, [e, e, e], mask);
}

/** Flips a C-order volume of `shape` in place along z, y and/or x (bit 4, 2, 1 of `mask`); an involution. */
export function flipVolume(v: Float32Array, shape: Shape3, mask: number): void {
  if (!mask) return;
  const [nz, ny, nx] = shape;
  const tmp = v.slice();
  for (let k = 0; k < nz; k++) {
    const ks = mask & 4 ? nz - 1 - k : k;
    for (let j = 0; j < ny; j++) {
      const js = mask & 2 ? ny - 1 - j : j;
      const drow = (k * ny + j) * nx;
      const srow = (ks * ny + js) * nx;
      if (mask & 1) for (let i = 0; i < nx; i++) v[drow + i] = tmp[srow + nx - 1 - i];
      else for (let i = 0; i < nx; i++) v[drow + i] = tmp[srow + i];
    }
  }
}

/**
 * Resamples a volume to a cube of edge `g` by box averaging over each output cell's footprint
 * (area-weighted; exact for integer factors), so the global branch sees the whole particle at any size.
 */
export function resampleToCube(src: Float32Array, shape: Shape3, g: number): Float32Array {
  const [nz, ny, nx] = shape;
  const out = new Float32Array(g * g * g);
  const cnt = new Float32Array(g * g * g);
  const fz = g / nz,
    fy = g / ny,
    fx = g / nx;
  for (let z = 0; z < nz; z++) {
    const kz = Math.min(g - 1, Math.floor((z + 0.5) * fz));
    for (let y = 0; y < ny; y++) {
      const ky = Math.min(g - 1, Math.floor((y + 0.5) * fy));
      const row = (z * ny + y) * nx;
      const orow = (kz * g + ky) * g;
      for (let x = 0; x < nx; x++) {
        const kx = Math.min(g - 1, Math.floor((x + 0.5) * fx));
        out[orow + kx] += src[row + x];
        cnt[orow + kx] += 1;
      }
    }
  }
  // cells no voxel fell into (volumes smaller than g) take their nearest source voxel
  for (let k = 0; k < g; k++)
    for (let j = 0; j < g; j++)
      for (let i = 0; i < g; i++) {
        const o = (k * g + j) * g + i;
        if (cnt[o] > 0) out[o] /= cnt[o];
        else {
          const z = Math.min(nz - 1, Math.floor(((k + 0.5) / g) * nz));
          const y = Math.min(ny - 1, Math.floor(((j + 0.5) / g) * ny));
          const x = Math.min(nx - 1, Math.floor(((i + 0.5) / g) * nx));
          out[o] = src[(z * ny + y) * nx + x];
        }
      }
  return out;
}

/**
 * Trilinear resampling of a volume onto a grid of `outShape` covering the same physical box with voxel
 * centres scaled about the origin voxel: output voxel (k, j, i) samples the input at (k, j, i) · factor
 * where factor = outVoxel / inVoxel (edge-clamped).
 * @param factor output voxel edge / input voxel edge
 */
export function resampleTrilinear(
  src: Float32Array,
  shape: Shape3,
  outShape: Shape3,
  factor: number,
): Float32Array {
  const [nz, ny, nx] = shape;
  const [oz, oy, ox] = outShape;
  const out = new Float32Array(oz * oy * ox);
  const ix0 = new Int32Array(ox),
    fxs = new Float32Array(ox);
  for (let i = 0; i < ox; i++) {
    const x = Math.min(nx - 1, Math.max(0, i * factor));
    ix0[i] = Math.min(nx - 2, Math.floor(x));
    fxs[i] = x - ix0[i];
    if (nx === 1) {
      ix0[i] = 0;
      fxs[i] = 0;
    }
  }
  for (let k = 0; k < oz; k++) {
    const z = Math.min(nz - 1, Math.max(0, k * factor));
    const z0 = Math.max(0, Math.min(nz - 2, Math.floor(z)));
    const fz = nz === 1 ? 0 : z - z0;
    const z1 = Math.min(nz - 1, z0 + 1);
    for (let j = 0; j < oy; j++) {
      const y = Math.min(ny - 1, Math.max(0, j * factor));
      const y0 = Math.max(0, Math.min(ny - 2, Math.floor(y)));
      const fy = ny === 1 ? 0 : y - y0;
      const y1 = Math.min(ny - 1, y0 + 1);
      const r00 = (z0 * ny + y0) * nx,
        r01 = (z0 * ny + y1) * nx,
        r10 = (z1 * ny + y0) * nx,
        r11 = (z1 * ny + y1) * nx;
      const orow = (k * oy + j) * ox;
      for (let i = 0; i < ox; i++) {
        const a = ix0[i],
          b = Math.min(nx - 1, a + 1),
          fx = fxs[i];
        const c00 = src[r00 + a] * (1 - fx) + src[r00 + b] * fx;
        const c01 = src[r01 + a] * (1 - fx) + src[r01 + b] * fx;
        const c10 = src[r10 + a] * (1 - fx) + src[r10 + b] * fx;
        const c11 = src[r11 + a] * (1 - fx) + src[r11 + b] * fx;
        out[orow + i] = (c00 * (1 - fy) + c01 * fy) * (1 - fz) + (c10 * (1 - fy) + c11 * fy) * fz;
      }
    }
  }
  return out;
}

/** Per output index along one axis: the source voxels whose cells overlap the output cell, and the overlap weights (normalised). */
function areaWeights(n: number, m: number, factor: number): { j0: Int32Array; w: Float32Array[] } {
  const j0 = new Int32Array(m);
  const w: Float32Array[] = [];
  for (let o = 0; o < m; o++) {
    // output cell [o·f − f/2, o·f + f/2] in source voxel-centre coordinates, clipped to the volume
    const lo = Math.max(-0.5, o * factor - factor / 2);
    const hi = Math.min(n - 0.5, o * factor + factor / 2);
    const a = Math.max(0, Math.min(n - 1, Math.round(lo)));
    const b = Math.max(a, Math.min(n - 1, Math.round(hi)));
    const ws = new Float32Array(b - a + 1);
    let sum = 0;
    for (let j = a; j <= b; j++) sum += ws[j - a] = Math.max(0, Math.min(hi, j + 0.5) - Math.max(lo, j - 0.5));
    if (sum > 0) for (let t = 0; t < ws.length; t++) ws[t] /= sum;
    else ws[0] = 1; // an output cell past the volume's end takes the last voxel
    j0[o] = a;
    w.push(ws);
  }
  return { j0, w };
}

/**
 * Area-average down-sampling onto the grid of resampleTrilinear (output voxel (k, j, i) centred at
 * (k, j, i) · factor in input voxels): each output voxel is the overlap-weighted mean of the input
 * voxels its cell of edge `factor` covers. Unlike point sampling it averages the noise of all input
 * voxels (no aliasing), which is what a coarser grid should see.
 * @param factor output voxel edge / input voxel edge (> 1 for down-sampling)
 */
export function resampleAreaAverage(
  src: Float32Array,
  shape: Shape3,
  outShape: Shape3,
  factor: number,
): Float32Array {
  let cur = src;
  let curShape: number[] = [...shape];
  // separable: x, then y, then z
  for (const axis of [2, 1, 0]) {
    const n = curShape[axis];
    const m = outShape[axis];
    const { j0, w } = areaWeights(n, m, factor);
    const nextShape = [...curShape];
    nextShape[axis] = m;
    const next = new Float32Array(nextShape[0] * nextShape[1] * nextShape[2]);
    const stride = axis === 2 ? 1 : axis === 1 ? curShape[2] : curShape[1] * curShape[2];
    const outStride = axis === 2 ? 1 : axis === 1 ? nextShape[2] : nextShape[1] * nextShape[2];
    const outer = axis === 0 ? 1 : axis === 1 ? curShape[0] : curShape[0] * curShape[1];
    const inner = stride;
    for (let a = 0; a < outer; a++) {
      const base = a * n * stride;
      const obase = a * m * outStride;
      for (let o = 0; o < m; o++) {
        const ws = w[o];
        for (let b = 0; b < inner; b++) {
          let s = 0;
          for (let t = 0; t < ws.length; t++) s += ws[t] * cur[base + (j0[o] + t) * stride + b];
          next[obase + o * outStride + b] = s;
        }
      }
    }
    cur = next;
    curShape = nextShape;
  }
  return cur;
}
