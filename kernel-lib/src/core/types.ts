/**
 * Data types shared by every stage. Conventions (../shared/DESIGN.md):
 * - lengths in ångström (Å), angles in degrees, dose in e⁻/Å² (the public API takes the TOTAL dose);
 * - volumes are C-order Float32Array of shape [nz, ny, nx] (x fastest, as NumPy and MRC);
 *   voxel (k, j, i) has its centre at (x, y, z) = (i, j, k) · voxelSizeA;
 * - the beam is along z at zero tilt; a single-axis tilt series rotates about y;
 * - projections are [ny, nx]; a tilt series is [nAngles, ny, nx] with one ZYZ Euler triple per projection.
 */

/** Shape of a volume: [nz, ny, nx]. */
export type Shape3 = [number, number, number];

/** A 3D volume (reconstruction, refined volume, ...). */
export interface Volume {
  /** C order, x fastest, length nz·ny·nx. */
  data: Float32Array;
  /** [nz, ny, nx] */
  shape: Shape3;
  /** Isotropic voxel edge in Å. */
  voxelSizeA: number;
}

/** ZYZ Euler angles in degrees, [phi, theta, psi], as GENFIRE/RESIRE. Single-axis tilt θ is [0, θ, 0]. */
export type EulerZYZDeg = [number, number, number];

/** A tilt series of projections. */
export interface TiltSeries {
  /** C order, [nAngles, ny, nx], x fastest. */
  data: Float32Array;
  /** [nAngles, ny, nx] */
  shape: Shape3;
  /** Detector pixel edge in Å (equal to the reconstruction voxel size). */
  pixelSizeA: number;
  /** One ZYZ Euler triple (degrees) per projection. */
  anglesDeg: EulerZYZDeg[];
  /** Total dose of the whole series in e⁻/Å², when known (simulated data). */
  totalDoseEPerA2?: number;
}

/** Per-atom class probabilities: `values[a * labels.length + c]` is P(atom a is labels[c]). */
export interface ClassProbabilities {
  labels: string[];
  values: Float32Array;
}

/** An atomic model: positions in Å in the volume frame, one species per atom. */
export interface AtomicModel {
  /** x, y, z per atom (Å), length 3·n. */
  positionsA: Float64Array;
  /** Element symbol per atom, e.g. "Pt". */
  species: string[];
  /** Optional per-atom scores by name (e.g. "peak", "integrated"), each of length n. */
  scores?: Record<string, Float64Array>;
  /** Optional per-atom class probabilities. */
  probabilities?: ClassProbabilities;
  /** Optional box edge lengths in Å [Lx, Ly, Lz] (extended XYZ "Lattice"). */
  cellA?: [number, number, number];
}

/** Progress of a long stage; `done` runs from 0 to `total`. */
export interface ProgressEvent {
  stage: string;
  done: number;
  total: number;
  message?: string;
}
export type ProgressCallback = (event: ProgressEvent) => void;

/** Number of atoms in a model. */
export function atomCount(model: AtomicModel): number {
  return model.species.length;
}

/** The atoms `indices` of a model, in that order, with their per-atom scores and class probabilities (and the cell). */
export function atomsAt(model: AtomicModel, indices: readonly number[]): AtomicModel {
  const positionsA = new Float64Array(3 * indices.length);
  indices.forEach((a, k) => positionsA.set(model.positionsA.subarray(3 * a, 3 * a + 3), 3 * k));
  const out: AtomicModel = { positionsA, species: indices.map((a) => model.species[a]) };
  if (model.scores) out.scores = Object.fromEntries(Object.entries(model.scores).map(([k, v]) => [k, Float64Array.from(indices, (a) => v[a])]));
  const prob = model.probabilities;
  if (prob) {
    const L = prob.labels.length;
    const values = new Float32Array(L * indices.length);
    indices.forEach((a, k) => values.set(prob.values.subarray(L * a, L * a + L), L * k));
    out.probabilities = { labels: [...prob.labels], values };
  }
  if (model.cellA) out.cellA = model.cellA;
  return out;
}

/** Number of voxels of a shape. */
export function voxelCount(shape: Shape3): number {
  return shape[0] * shape[1] * shape[2];
}
