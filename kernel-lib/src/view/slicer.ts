/** Volume slicer: three linked orthogonal slices, atom overlay with a live score threshold. */
import { PannError } from '../core/errors';
import { atomsAt, type AtomicModel, type Volume } from '../core/types';
import { atomsPayload, countSurvivors, DEFAULT_MAX_VOLUME_BYTES, quantiseVolume, type QuantisedVolume } from './payload';
import { encodePng } from './png';
import { PannWidget, type ViewOptions } from './widget';

/** Colormaps the frontend knows. */
export type Colormap = 'gray' | 'viridis' | 'magma' | 'inferno' | 'cividis';

/** Options of {@link slicer}. */
export interface SlicerOptions extends ViewOptions {
  /** Second volume of the same shape shown side by side with linked cursors (e.g. raw vs refined). */
  compare?: Volume;
  /** Titles of the two panels (plain text). */
  label?: string;
  compareLabel?: string;
  /** Score that drives the threshold (default 'peak'). */
  scoreName?: string;
  /** Initial threshold on that score; atoms with score ≥ threshold are shown (default: the lowest score). */
  threshold?: number;
  /** Overlay atoms within ± this distance (Å) of each slice plane (default 2 Å). */
  atomSlabA?: number;
  /** Max-intensity projection over ± this thickness (Å) around the slice; 0 = plain slice (default 0). */
  mipSlabA?: number;
  colormap?: Colormap;
  /** Auto contrast percentiles [low, high] in % (default [0.5, 99.5]). */
  autoPercentiles?: [number, number];
  /** Manual display window [low, high] in volume units; overrides auto contrast when set. */
  window?: [number, number];
  /** Byte budget per quantised volume (default 16 MiB = 256³ at 1 byte a voxel). */
  maxVolumeBytes?: number;
}

function volumeState(q: QuantisedVolume, prefix: string): Record<string, unknown> {
  return {
    [`${prefix}`]: q.bytes,
    [`${prefix}_shape`]: q.shape,
    [`${prefix}_voxel_size_a`]: q.voxelSizeA,
    [`${prefix}_range`]: [q.min, q.max],
    [`${prefix}_binning`]: q.binning,
  };
}

function atomState(model: AtomicModel | undefined, scoreName: string): Record<string, unknown> {
  const a = atomsPayload(model, scoreName);
  return {
    atom_positions: a.positions,
    atom_species: a.species,
    atom_scores: a.scores,
    score_name: a.scoreName,
    atom_probabilities: a.probabilities,
    probability_labels: a.probabilityLabels,
  };
}

function minScore(scores: Float32Array): number {
  let m = Infinity;
  for (let i = 0; i < scores.length; i++) if (scores[i] < m) m = scores[i];
  return Number.isFinite(m) ? m : 0;
}

/** Kernel handle of a displayed slicer. */
export class SlicerWidget extends PannWidget {
  private atomModel: AtomicModel | undefined;

  /** @internal use {@link slicer} */
  constructor(volume: Volume, atoms: AtomicModel | undefined, o: SlicerOptions) {
    const maxBytes = o.maxVolumeBytes ?? DEFAULT_MAX_VOLUME_BYTES;
    const q = quantiseVolume(volume, maxBytes, 'volume');
    const state: Record<string, unknown> = { ...volumeState(q, 'volume'), label: o.label ?? '' };
    if (o.compare) {
      if (o.compare.shape.join() !== volume.shape.join()) {
        throw new PannError('SHAPE', `compare volume shape ${o.compare.shape.join('×')} differs from volume ${volume.shape.join('×')}`, { field: 'compare' });
      }
      Object.assign(state, volumeState(quantiseVolume(o.compare, maxBytes, 'compare'), 'compare'), { compare_label: o.compareLabel ?? '' });
    } else Object.assign(state, { compare: new Uint8Array(0), compare_shape: [0, 0, 0], compare_voxel_size_a: q.voxelSizeA, compare_range: [0, 1], compare_binning: 1, compare_label: '' });
    const as = atomState(atoms, o.scoreName ?? 'peak');
    const threshold = o.threshold ?? minScore(as.atom_scores as Float32Array);
    const n = (as.atom_species as string[]).length;
    Object.assign(state, as, {
      threshold,
      visible_count: countSurvivors(as.atom_scores as Float32Array, n, threshold),
      atom_slab_a: o.atomSlabA ?? 2,
      mip_slab_a: o.mipSlabA ?? 0,
      colormap: o.colormap ?? 'gray',
      auto_percentiles: o.autoPercentiles ?? [0.5, 99.5],
      window: o.window ?? null,
      cursor: [Math.floor(q.shape[0] / 2), Math.floor(q.shape[1] / 2), Math.floor(q.shape[2] / 2)],
    });
    super('SlicerModel', 'SlicerView', state);
    this.atomModel = atoms;
  }

  /** Score threshold (atoms with score ≥ threshold are shown); the frontend slider writes it. */
  get threshold(): number {
    return this.state.threshold as number;
  }
  set threshold(value: number) {
    if (!Number.isFinite(value)) throw new PannError('VALUE', `threshold must be finite, got ${value}`, { field: 'threshold' });
    const scores = this.state.atom_scores as Float32Array;
    this.set({ threshold: value, visible_count: countSurvivors(scores, (this.state.atom_species as string[]).length, value) });
  }

  /** Number of atoms passing the threshold, as last reported by the frontend (or computed here). */
  get visibleCount(): number {
    return this.state.visible_count as number;
  }

  /** The overlaid atoms; assigning redraws the overlay. */
  get atoms(): AtomicModel | undefined {
    return this.atomModel;
  }
  set atoms(model: AtomicModel | undefined) {
    const as = atomState(model, (this.state.score_name as string) ?? 'peak');
    this.atomModel = model;
    this.set({ ...as, visible_count: countSurvivors(as.atom_scores as Float32Array, (as.atom_species as string[]).length, this.threshold) });
  }

  /** Cursor voxel [k, j, i] (linked slices); the frontend writes it on click. */
  get cursor(): [number, number, number] {
    return this.state.cursor as [number, number, number];
  }
  set cursor(kji: [number, number, number]) {
    this.set({ cursor: kji });
  }

  /** The atoms that pass the current threshold (a new model; indices keep their order). */
  survivors(): AtomicModel | undefined {
    const m = this.atomModel;
    if (!m) return undefined;
    const scores = this.state.atom_scores as Float32Array;
    if (scores.length === 0) return m;
    const keep: number[] = [];
    for (let a = 0; a < scores.length; a++) if (scores[a] >= this.threshold) keep.push(a);
    return atomsAt(m, keep);
  }

  override describe(): string {
    const s = this.state.volume_shape as number[];
    return `Slicer(${s.join('×')} voxels at ${(this.state.volume_voxel_size_a as number).toFixed(3)} Å, ${(this.state.atom_species as string[]).length} atoms, ${this.visibleCount} ≥ threshold ${this.threshold})`;
  }

  /** Three central slices (xy | xz | yz) as a grey PNG, the view shown without the widget. */
  protected override fallbackPng(): string {
    const [nz, ny, nx] = this.state.volume_shape as [number, number, number];
    const v = this.state.volume as Uint8Array;
    const [ck, cj, ci] = this.cursor;
    const w = nx + nz + nx + 4;
    const h = Math.max(ny, nz);
    const img = new Uint8Array(w * h);
    for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) img[j * w + i] = v[(ck * ny + j) * nx + i]; // xy
    for (let k = 0; k < nz; k++) for (let i = 0; i < nx; i++) img[k * w + nx + 2 + i] = v[(k * ny + cj) * nx + i]; // xz
    for (let j = 0; j < ny; j++) for (let k = 0; k < nz; k++) img[j * w + 2 * nx + 4 + k] = v[(k * ny + j) * nx + ci]; // yz (z across)
    return encodePng(img, w, h, 1).toString('base64');
  }
}

/**
 * Show a volume as three linked orthogonal slices with an atom overlay and a live threshold slider.
 * Bytes sent (and saved with widget state): 1 byte a voxel after binning to `maxVolumeBytes` (default 16 MiB),
 * plus 12 bytes an atom (positions) + 4 (score) + 4 per class probability.
 * @param volume - Float32 volume [nz, ny, nx] in the shared frame, voxel size in Å.
 * @param atoms - traced atoms (every candidate with its scores), positions in Å.
 * @param options - see {@link SlicerOptions}.
 */
export function slicer(volume: Volume, atoms?: AtomicModel, options: SlicerOptions = {}): SlicerWidget {
  const w = new SlicerWidget(volume, atoms, options);
  if (options.display !== false) w.display();
  return w;
}
