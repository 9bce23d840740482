/** Separable Gaussian smoothing of a volume (pre-filter before peak finding). */
import { PannError } from '../core/errors';
import type { Volume } from '../core/types';

/** Normalised 1D Gaussian kernel of σ `sigmaVoxels` (voxels), truncated at 3σ (at least radius 1). */
export function gaussianKernel1D(sigmaVoxels: number): Float64Array {
  const radius = Math.max(1, Math.ceil(3 * sigmaVoxels));
  const k = new Float64Array(2 * radius + 1);
  let sum = 0;
  for (let t = -radius; t <= radius; t++) {
    const w = Math.exp((-t * t) / (2 * sigmaVoxels * sigmaVoxels));
    k[t + radius] = w;
    sum += w;
  }
  for (let t = 0; t < k.length; t++) k[t] /= sum;
  return k;
}

/**
 * Returns a new volume smoothed by an isotropic Gaussian.
 * @param volume input volume ([nz, ny, nx], voxel edge `voxelSizeA` Å); not modified.
 * @param sigmaA Gaussian σ in Å; 0 returns a copy. Edges are replicated (no darkening at the border).
 */
export function gaussianSmooth3D(volume: Volume, sigmaA: number): Volume {
  if (!(sigmaA >= 0) || !Number.isFinite(sigmaA)) {
    throw new PannError('OPTION', `smoothingSigmaA must be a finite number ≥ 0 Å, got ${sigmaA}`, {
      field: 'smoothingSigmaA',
    });
  }
  const [nz, ny, nx] = volume.shape;
  const out = new Float32Array(volume.data);
  if (sigmaA === 0) return { data: out, shape: [nz, ny, nx], voxelSizeA: volume.voxelSizeA };
  const kernel = gaussianKernel1D(sigmaA / volume.voxelSizeA);
  const tmp = new Float32Array(out.length);
  // Three 1D passes; each reads `src`, writes `dst`, then the buffers swap.
  convolveAxis(out, tmp, nz, ny, nx, kernel, 1, nx); // x
  convolveAxis(tmp, out, nz, ny, nx, kernel, nx, ny); // y
  convolveAxis(out, tmp, nz, ny, nx, kernel, nx * ny, nz); // z
  return { data: tmp, shape: [nz, ny, nx], voxelSizeA: volume.voxelSizeA };
}

/** 1D convolution along the axis with memory stride `stride` and length `len`, replicated edges. */
function convolveAxis(
  src: Float32Array,
  dst: Float32Array,
  nz: number,
  ny: number,
  nx: number,
  kernel: Float64Array,
  stride: number,
  len: number,
): void {
  const r = (kernel.length - 1) >> 1;
  const line = new Float64Array(len + 2 * r);
  const total = nz * ny * nx;
  // Enumerate the start of every line along the axis: all voxels whose coordinate on that axis is 0.
  for (let start = 0; start < total; start++) {
    if (Math.floor(start / stride) % len !== 0) continue;
    for (let t = 0; t < len; t++) line[t + r] = src[start + t * stride];
    const first = line[r],
      last = line[r + len - 1];
    for (let t = 0; t < r; t++) {
      line[t] = first;
      line[r + len + t] = last;
    }
    for (let t = 0; t < len; t++) {
      let acc = 0;
      for (let q = 0; q < kernel.length; q++) acc += kernel[q] * line[t + q];
      dst[start + t * stride] = acc;
    }
  }
}
