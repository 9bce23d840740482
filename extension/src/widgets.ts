/**
 * ipywidgets models and views (`@jupyter-widgets/base`) of the pann-aet views. The kernel side is
 * kernel-lib/src/view; state names match it. Binary buffers arrive as DataViews and become typed arrays here.
 */
import { DOMWidgetModel, DOMWidgetView, type ISerializers } from '@jupyter-widgets/base';
import { AtomPanel, type AtomData } from './atoms3d';
import { throttle } from './dom';
import { LinePlotPanel, type PlotData } from './lineplot';
import { ProgressPanel, type ProgressData } from './progress';
import { SlicerPanel, type SlicerData } from './slicer';
import { TiltPanel, type TiltData } from './tilt';
import { MODULE_NAME, MODULE_VERSION } from './version';

type Bin = DataView | ArrayBufferView | null | undefined;

function bytesOf(v: Bin): Uint8Array {
  if (!v) return new Uint8Array(0);
  return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
}

function f32Of(v: Bin): Float32Array {
  if (!v) return new Float32Array(0);
  if (v instanceof Float32Array) return v;
  // Copy: a buffer's offset need not be 4-byte aligned.
  return new Float32Array(v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength));
}

// serialize keeps the typed array, so the manager stores it as a binary buffer (base64 in saved widget
// state) instead of JSON-encoding it element by element.
const u8 = { deserialize: (v: Bin): Uint8Array => bytesOf(v), serialize: (v: Uint8Array): Uint8Array => v };
const f32 = { deserialize: (v: Bin): Float32Array => f32Of(v), serialize: (v: Float32Array): Float32Array => v };

/** Delay between two state pushes to the kernel while a slider is dragged (ms). */
const SYNC_MS = 80;

/**
 * A function that queues state changes of a view and pushes them to the kernel at most every SYNC_MS
 * (keys accumulate between pushes; the last change is always sent).
 */
function syncer(view: DOMWidgetView): (s: Record<string, unknown>) => void {
  let pending: Record<string, unknown> = {};
  const flush = throttle(() => {
    const s = pending;
    pending = {};
    view.model.set(s, { updated_view: view });
    view.model.save_changes();
  }, SYNC_MS);
  return (s) => {
    pending = { ...pending, ...s };
    flush();
  };
}

abstract class PannModel extends DOMWidgetModel {
  defaults(): Record<string, unknown> {
    return { ...super.defaults(), _model_module: MODULE_NAME, _model_module_version: MODULE_VERSION, _view_module: MODULE_NAME, _view_module_version: MODULE_VERSION };
  }
}

// ---------------------------------------------------------------- slicer

export class SlicerModel extends PannModel {
  defaults(): Record<string, unknown> {
    return { ...super.defaults(), _model_name: 'SlicerModel', _view_name: 'SlicerView', threshold: 0, visible_count: 0, cursor: [0, 0, 0], colormap: 'gray', window: null, mip_slab_a: 0, atom_slab_a: 2, auto_percentiles: [0.5, 99.5] };
  }
  static serializers: ISerializers = { ...DOMWidgetModel.serializers, volume: u8, compare: u8, atom_positions: f32, atom_scores: f32, atom_probabilities: f32 };
}

function slicerData(m: DOMWidgetModel): SlicerData {
  const shape = m.get('volume_shape') as [number, number, number];
  const compare = m.get('compare') as Uint8Array | undefined;
  return {
    volume: { bytes: m.get('volume'), range: m.get('volume_range'), label: m.get('label') ?? '' },
    compare: compare && compare.length ? { bytes: compare, range: m.get('compare_range'), label: m.get('compare_label') ?? '' } : undefined,
    shape,
    voxelSizeA: m.get('volume_voxel_size_a'),
    atoms: { positions: m.get('atom_positions') ?? new Float32Array(0), species: m.get('atom_species') ?? [], scores: m.get('atom_scores') ?? new Float32Array(0), scoreName: m.get('score_name') ?? '' },
    threshold: m.get('threshold'),
    atomSlabA: m.get('atom_slab_a'),
    mipSlabA: m.get('mip_slab_a'),
    colormap: m.get('colormap'),
    autoPercentiles: m.get('auto_percentiles'),
    window: m.get('window'),
    cursor: m.get('cursor'),
  };
}

export class SlicerView extends DOMWidgetView {
  panel?: SlicerPanel;

  render(): void {
    this.el.classList.add('pann-widget');
    const queue = syncer(this);
    this.panel = new SlicerPanel(slicerData(this.model), {
      threshold: (t, n) => queue({ threshold: t, visible_count: n }),
      cursor: (c) => queue({ cursor: c }),
      settings: (s) =>
        queue({
          ...(s.colormap !== undefined ? { colormap: s.colormap } : {}),
          ...('window' in s ? { window: s.window } : {}),
          ...(s.mipSlabA !== undefined ? { mip_slab_a: s.mipSlabA } : {}),
          ...(s.atomSlabA !== undefined ? { atom_slab_a: s.atomSlabA } : {}),
        }),
    });
    this.el.appendChild(this.panel.node);
    this.listenTo(this.model, 'change', (_m: unknown, options: { updated_view?: unknown }) => {
      if (options?.updated_view === this || !this.panel) return;
      const ch = this.model.changedAttributes() || {};
      const keys = Object.keys(ch);
      if (!keys.length) return;
      const full = slicerData(this.model);
      const partial: Partial<SlicerData> = {};
      if (keys.some((k) => k.startsWith('volume') || k === 'label')) Object.assign(partial, { volume: full.volume, shape: full.shape, voxelSizeA: full.voxelSizeA });
      if (keys.some((k) => k.startsWith('compare'))) partial.compare = full.compare;
      if (keys.some((k) => k.startsWith('atom_') || k === 'score_name')) partial.atoms = full.atoms;
      for (const [k, f] of [['threshold', 'threshold'], ['atom_slab_a', 'atomSlabA'], ['mip_slab_a', 'mipSlabA'], ['colormap', 'colormap'], ['auto_percentiles', 'autoPercentiles'], ['window', 'window'], ['cursor', 'cursor']] as const) {
        if (k in ch) (partial as Record<string, unknown>)[f] = full[f];
      }
      this.panel.update(partial);
      // The overlay changed in the kernel: report the new count back.
      if (partial.atoms && this.panel.visibleCount !== this.model.get('visible_count')) queue({ visible_count: this.panel.visibleCount });
    });
  }

  remove(): void {
    this.panel?.dispose();
    return super.remove();
  }
}

// ---------------------------------------------------------------- atom viewer

export class AtomViewerModel extends PannModel {
  defaults(): Record<string, unknown> {
    return { ...super.defaults(), _model_name: 'AtomViewerModel', _view_name: 'AtomViewerView', min_score: 0, hidden_species: [], bond_cutoff_a: 0, marker_size_px: 4, title: '', visible_count: 0 };
  }
  static serializers: ISerializers = { ...DOMWidgetModel.serializers, atom_positions: f32, atom_scores: f32, atom_probabilities: f32 };
}

function atomData(m: DOMWidgetModel): AtomData {
  return {
    positions: m.get('atom_positions') ?? new Float32Array(0),
    species: m.get('atom_species') ?? [],
    scores: m.get('atom_scores') ?? new Float32Array(0),
    scoreName: m.get('score_name') ?? '',
    probabilities: m.get('atom_probabilities') ?? new Float32Array(0),
    probabilityLabels: m.get('probability_labels') ?? [],
    minScore: m.get('min_score'),
    hiddenSpecies: m.get('hidden_species') ?? [],
    bondCutoffA: m.get('bond_cutoff_a'),
    markerSizePx: m.get('marker_size_px'),
    title: m.get('title') ?? '',
  };
}

export class AtomViewerView extends DOMWidgetView {
  panel?: AtomPanel;

  render(): void {
    this.el.classList.add('pann-widget');
    const push = syncer(this);
    this.panel = new AtomPanel(atomData(this.model), {
      filters: (f, n) => push({ min_score: f.minScore, hidden_species: f.hiddenSpecies, bond_cutoff_a: f.bondCutoffA, visible_count: n }),
    });
    this.el.appendChild(this.panel.node);
    this.listenTo(this.model, 'change', (_m: unknown, options: { updated_view?: unknown }) => {
      if (options?.updated_view === this || !this.panel) return;
      const ch = this.model.changedAttributes() || {};
      if (!Object.keys(ch).length) return;
      this.panel.update(atomData(this.model));
      if (this.panel.visibleCount !== this.model.get('visible_count')) push({ visible_count: this.panel.visibleCount });
    });
  }

  remove(): void {
    this.panel?.dispose();
    return super.remove();
  }
}

// ---------------------------------------------------------------- tilt viewer

export class TiltViewerModel extends PannModel {
  defaults(): Record<string, unknown> {
    return { ...super.defaults(), _model_name: 'TiltViewerModel', _view_name: 'TiltViewerView', index: 0 };
  }
  static serializers: ISerializers = { ...DOMWidgetModel.serializers, stack: u8 };
}

function tiltData(m: DOMWidgetModel): TiltData {
  return { stack: m.get('stack'), shape: m.get('stack_shape'), range: m.get('stack_range'), pixelSizeA: m.get('pixel_size_a'), anglesDeg: m.get('angles_deg'), index: m.get('index') };
}

export class TiltViewerView extends DOMWidgetView {
  panel?: TiltPanel;
  render(): void {
    this.el.classList.add('pann-widget');
    const push = throttle((i: number) => {
      this.model.set({ index: i }, { updated_view: this });
      this.model.save_changes();
    }, SYNC_MS);
    this.panel = new TiltPanel(tiltData(this.model), push);
    this.el.appendChild(this.panel.node);
    this.listenTo(this.model, 'change', (_m: unknown, o: { updated_view?: unknown }) => {
      if (o?.updated_view !== this) this.panel?.update(tiltData(this.model));
    });
  }
  remove(): void {
    this.panel?.dispose();
    return super.remove();
  }
}

// ---------------------------------------------------------------- line plot

export class PlotModel extends PannModel {
  defaults(): Record<string, unknown> {
    return { ...super.defaults(), _model_name: 'PlotModel', _view_name: 'PlotView', series: [], title: '', x_label: '', y_label: '', log_x: false, log_y: false };
  }
}

function plotData(m: DOMWidgetModel): PlotData {
  return { series: m.get('series') ?? [], title: m.get('title') ?? '', xLabel: m.get('x_label') ?? '', yLabel: m.get('y_label') ?? '', logX: !!m.get('log_x'), logY: !!m.get('log_y') };
}

export class PlotView extends DOMWidgetView {
  panel?: LinePlotPanel;
  render(): void {
    this.el.classList.add('pann-widget');
    this.panel = new LinePlotPanel(plotData(this.model));
    this.el.appendChild(this.panel.node);
    this.listenTo(this.model, 'change', () => this.panel?.update(plotData(this.model)));
  }
  remove(): void {
    this.panel?.dispose();
    return super.remove();
  }
}

// ---------------------------------------------------------------- progress

export class ProgressModel extends PannModel {
  defaults(): Record<string, unknown> {
    return { ...super.defaults(), _model_name: 'ProgressModel', _view_name: 'ProgressView', stage: '', done: 0, total: 1, message: '', status: 'running', started_ms: 0 };
  }
}

function progressData(m: DOMWidgetModel): ProgressData {
  return { stage: m.get('stage'), done: m.get('done'), total: m.get('total'), message: m.get('message'), status: m.get('status'), startedMs: m.get('started_ms') };
}

export class ProgressView extends DOMWidgetView {
  panel?: ProgressPanel;
  render(): void {
    this.el.classList.add('pann-widget');
    this.panel = new ProgressPanel(progressData(this.model));
    this.el.appendChild(this.panel.node);
    this.listenTo(this.model, 'change', () => this.panel?.update(progressData(this.model)));
  }
  remove(): void {
    this.panel?.dispose();
    return super.remove();
  }
}
