/**
 * The volume slicer: three linked orthogonal slices (xy, xz, yz) of an 8-bit volume, optional second volume
 * with linked cursors, atom overlay within ± a slab coloured by species and sized by score, live threshold,
 * colormaps, auto/manual contrast, max-intensity projection over a slab, scale bar in Å, hover readout.
 * Framework-free: the widget view and the .mrc file viewer both drive it.
 */
import { bytePercentiles, COLORMAPS, speciesColour, windowLut } from './colormaps';
import { el, labelled, niceLengthA, numberInput, select, slider } from './dom';

/** One 8-bit volume: value = range[0] + byte/255 · (range[1] − range[0]). */
export interface ByteVolume {
  bytes: Uint8Array;
  range: [number, number];
  label: string;
}

/** Atoms for the overlay (positions in Å, Float32 x,y,z per atom). */
export interface OverlayAtoms {
  positions: Float32Array;
  species: string[];
  scores: Float32Array;
  scoreName: string;
}

/** Everything the slicer shows. */
export interface SlicerData {
  volume: ByteVolume;
  compare?: ByteVolume;
  /** [nz, ny, nx] */
  shape: [number, number, number];
  voxelSizeA: number;
  atoms: OverlayAtoms;
  threshold: number;
  atomSlabA: number;
  mipSlabA: number;
  colormap: string;
  autoPercentiles: [number, number];
  /** Manual window in volume units, or null for auto contrast. */
  window: [number, number] | null;
  /** Cursor voxel [k, j, i]. */
  cursor: [number, number, number];
}

/** What the slicer reports back. */
export interface SlicerCallbacks {
  threshold?(threshold: number, visibleCount: number): void;
  cursor?(kji: [number, number, number]): void;
  settings?(s: Partial<Pick<SlicerData, 'colormap' | 'window' | 'mipSlabA' | 'atomSlabA'>>): void;
}

type Axis = 0 | 1 | 2; // plane normal: 0 = z (xy panel), 1 = y (xz panel), 2 = x (yz panel)
const AXIS_NAMES = ['xy', 'xz', 'yz'];

interface Panel {
  axis: Axis;
  vol: 'volume' | 'compare';
  canvas: HTMLCanvasElement;
  ctx: CanvasRenderingContext2D;
  off: HTMLCanvasElement;
  offCtx: CanvasRenderingContext2D;
  image: ImageData;
  /** Image cache key: plane, mip, lut id. */
  key: string;
  slider: HTMLInputElement;
  w: number;
  h: number;
}

export class SlicerPanel {
  readonly node: HTMLDivElement;
  private d: SlicerData;
  private panels: Panel[] = [];
  private scale = 1;
  private lutKey = '';
  private lut = new Uint32Array(256);
  private hist: { key: string; pct: [number, number] } = { key: '', pct: [0, 255] };
  private countLabel: HTMLSpanElement;
  private thresholdSlider: HTMLInputElement;
  private thresholdValue: HTMLSpanElement;
  private readout: HTMLDivElement;
  private frameLabel: HTMLSpanElement;
  private cmapSelect: HTMLSelectElement;
  private contrastSelect: HTMLSelectElement;
  private winLo: HTMLInputElement;
  private winHi: HTMLInputElement;
  private mipInput: HTMLInputElement;
  private slabInput: HTMLInputElement;
  private grid: HTMLDivElement;
  private raf = 0;
  /** Last frame times in ms (newest last). */
  readonly frameTimesMs: number[] = [];
  private visible = 0;

  constructor(data: SlicerData, private readonly cb: SlicerCallbacks = {}) {
    this.d = data;
    this.node = el('div', 'pann-slicer');
    const controls = el('div', 'pann-controls');
    this.thresholdSlider = slider(0, 1, 0.001, 0, 'pann-threshold');
    this.thresholdValue = el('span', 'pann-threshold-value');
    this.countLabel = el('span', 'pann-count');
    const th = labelled('threshold', this.thresholdSlider);
    th.appendChild(this.thresholdValue);
    controls.append(th, this.countLabel);
    this.cmapSelect = select(COLORMAPS, data.colormap, 'pann-colormap');
    this.contrastSelect = select(['auto', 'manual'], data.window ? 'manual' : 'auto', 'pann-contrast');
    this.winLo = numberInput(0, 0.001, 'pann-window-lo');
    this.winHi = numberInput(1, 0.001, 'pann-window-hi');
    this.mipInput = numberInput(data.mipSlabA, 0.5, 'pann-mip');
    this.slabInput = numberInput(data.atomSlabA, 0.5, 'pann-atom-slab');
    controls.append(
      labelled('colormap', this.cmapSelect),
      labelled('contrast', this.contrastSelect),
      labelled('min', this.winLo),
      labelled('max', this.winHi),
      labelled('MIP ± Å', this.mipInput),
      labelled('atoms ± Å', this.slabInput),
    );
    this.grid = el('div', 'pann-grid');
    this.readout = el('div', 'pann-readout', 'hover a slice for voxel value, position and nearest atom');
    this.frameLabel = el('span', 'pann-frame');
    const footer = el('div', 'pann-footer');
    footer.append(this.readout, this.frameLabel);
    this.node.append(controls, this.grid, footer);

    this.thresholdSlider.addEventListener('input', () => {
      this.d.threshold = Number(this.thresholdSlider.value);
      this.render();
      this.cb.threshold?.(this.d.threshold, this.visible);
    });
    this.cmapSelect.addEventListener('change', () => {
      this.d.colormap = this.cmapSelect.value;
      this.cb.settings?.({ colormap: this.d.colormap });
      this.render();
    });
    const windowChanged = (): void => {
      this.d.window = this.contrastSelect.value === 'manual' ? [Number(this.winLo.value), Number(this.winHi.value)] : null;
      this.cb.settings?.({ window: this.d.window });
      this.render();
    };
    this.contrastSelect.addEventListener('change', windowChanged);
    this.winLo.addEventListener('change', windowChanged);
    this.winHi.addEventListener('change', windowChanged);
    this.mipInput.addEventListener('change', () => {
      this.d.mipSlabA = Math.max(0, Number(this.mipInput.value) || 0);
      this.cb.settings?.({ mipSlabA: this.d.mipSlabA });
      this.render();
    });
    this.slabInput.addEventListener('change', () => {
      this.d.atomSlabA = Math.max(0, Number(this.slabInput.value) || 0);
      this.cb.settings?.({ atomSlabA: this.d.atomSlabA });
      this.render();
    });
    this.build();
  }

  /** Replace some of the data (from the kernel or a file) and redraw. */
  update(partial: Partial<SlicerData>): void {
    const rebuild = partial.shape !== undefined || partial.compare !== undefined || partial.volume !== undefined;
    Object.assign(this.d, partial);
    if (rebuild) this.build();
    else this.render();
  }

  /** Atoms passing the threshold. */
  get visibleCount(): number {
    return this.visible;
  }

  /** The current data (shared, do not mutate). */
  get data(): SlicerData {
    return this.d;
  }

  private dims(axis: Axis): [number, number] {
    const [nz, ny, nx] = this.d.shape;
    return axis === 0 ? [nx, ny] : axis === 1 ? [nx, nz] : [ny, nz];
  }

  private build(): void {
    this.grid.textContent = '';
    this.panels = [];
    const [nz, ny, nx] = this.d.shape;
    this.scale = Math.max(0.25, Math.min(4, 320 / Math.max(nx, ny, nz, 1)));
    const vols: ('volume' | 'compare')[] = this.d.compare && this.d.compare.bytes.length === nx * ny * nz ? ['volume', 'compare'] : ['volume'];
    for (const vol of vols) {
      const row = el('div', 'pann-row');
      const title = el('div', 'pann-row-title', (vol === 'volume' ? this.d.volume.label : this.d.compare!.label) || (vol === 'volume' ? '' : 'compare'));
      row.appendChild(title);
      const panelsEl = el('div', 'pann-panels');
      for (const axis of [0, 1, 2] as Axis[]) {
        const [w, h] = this.dims(axis);
        const box = el('div', 'pann-panel');
        box.dataset.axis = AXIS_NAMES[axis];
        const canvas = el('canvas', 'pann-canvas');
        canvas.width = Math.round(w * this.scale);
        canvas.height = Math.round(h * this.scale);
        const off = el('canvas');
        off.width = w;
        off.height = h;
        const offCtx = off.getContext('2d', { willReadFrequently: true })!;
        const n = axis === 0 ? nz : axis === 1 ? ny : nx;
        const s = slider(0, n - 1, 1, this.d.cursor[axis], 'pann-plane');
        const cap = el('div', 'pann-panel-caption');
        const p: Panel = { axis, vol, canvas, ctx: canvas.getContext('2d', { willReadFrequently: true })!, off, offCtx, image: offCtx.createImageData(w, h), key: '', slider: s, w, h };
        s.addEventListener('input', () => this.setCursorAxis(axis, Number(s.value)));
        canvas.addEventListener('mousemove', (e) => this.hover(p, e));
        canvas.addEventListener('click', (e) => this.click(p, e));
        cap.appendChild(el('span', undefined, AXIS_NAMES[axis]));
        cap.appendChild(s);
        box.append(canvas, cap);
        panelsEl.appendChild(box);
        this.panels.push(p);
      }
      row.appendChild(panelsEl);
      this.grid.appendChild(row);
    }
    const sc = this.d.atoms.scores;
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < sc.length; i++) {
      if (sc[i] < lo) lo = sc[i];
      if (sc[i] > hi) hi = sc[i];
    }
    if (!Number.isFinite(lo)) {
      lo = 0;
      hi = 1;
    }
    this.thresholdSlider.min = String(lo);
    this.thresholdSlider.max = String(hi > lo ? hi : lo + 1);
    this.thresholdSlider.step = String((hi > lo ? hi - lo : 1) / 1000);
    this.thresholdSlider.disabled = sc.length === 0;
    this.hist.key = '';
    this.render();
  }

  private setCursorAxis(axis: Axis, v: number): void {
    const c = [...this.d.cursor] as [number, number, number];
    c[axis] = v;
    this.d.cursor = c;
    this.cb.cursor?.(c);
    this.render();
  }

  /** Byte window from manual physical window or auto percentiles. */
  private updateLut(): void {
    const v = this.d.volume;
    const [r0, r1] = v.range;
    let win: [number, number];
    if (this.d.window) {
      const toByte = (x: number): number => ((x - r0) / (r1 - r0 || 1)) * 255;
      win = [toByte(this.d.window[0]), toByte(this.d.window[1])];
    } else {
      const hk = `${v.bytes.length}:${this.d.autoPercentiles.join()}:${v.range.join()}`;
      if (this.hist.key !== hk) this.hist = { key: hk, pct: bytePercentiles(v.bytes, this.d.autoPercentiles[0], this.d.autoPercentiles[1]) };
      win = this.hist.pct;
      const toVal = (b: number): number => r0 + (b / 255) * (r1 - r0);
      this.winLo.value = toVal(win[0]).toPrecision(4);
      this.winHi.value = toVal(win[1]).toPrecision(4);
    }
    const key = `${this.d.colormap}:${win.join()}`;
    if (key !== this.lutKey) {
      this.lut = windowLut(this.d.colormap, win[0], win[1]);
      this.lutKey = key;
    }
  }

  /** Redraw everything; returns the frame time in ms. */
  render(): number {
    const t0 = performance.now();
    this.updateLut();
    this.visible = this.countVisible();
    this.thresholdSlider.value = String(this.d.threshold);
    this.thresholdValue.textContent = ` ${formatNumber(this.d.threshold)} (${this.d.atoms.scoreName || 'score'})`;
    this.countLabel.textContent = `${this.visible} / ${this.d.atoms.species.length} atoms ≥ threshold`;
    this.countLabel.dataset.visibleCount = String(this.visible);
    this.cmapSelect.value = this.d.colormap;
    this.contrastSelect.value = this.d.window ? 'manual' : 'auto';
    for (const p of this.panels) {
      p.slider.value = String(this.d.cursor[p.axis]);
      this.drawPanel(p);
    }
    const ms = performance.now() - t0;
    this.frameTimesMs.push(ms);
    if (this.frameTimesMs.length > 200) this.frameTimesMs.shift();
    this.frameLabel.textContent = `frame ${ms.toFixed(1)} ms`;
    this.node.dataset.frameMs = ms.toFixed(2);
    return ms;
  }

  /** Schedule a render on the next animation frame (coalesces bursts of updates). */
  scheduleRender(): void {
    if (this.raf) return;
    this.raf = requestAnimationFrame(() => {
      this.raf = 0;
      this.render();
    });
  }

  private countVisible(): number {
    const s = this.d.atoms.scores;
    if (s.length === 0) return this.d.atoms.species.length;
    let c = 0;
    const t = this.d.threshold;
    for (let i = 0; i < s.length; i++) if (s[i] >= t) c++;
    return c;
  }

  private drawPanel(p: Panel): void {
    const vol = p.vol === 'volume' ? this.d.volume : this.d.compare!;
    const [nz, ny, nx] = this.d.shape;
    const plane = this.d.cursor[p.axis];
    const half = Math.round(this.d.mipSlabA / this.d.voxelSizeA);
    const key = `${plane}:${half}:${this.lutKey}:${vol.bytes.length}`;
    if (key !== p.key) {
      p.key = key;
      const out = new Uint32Array(p.image.data.buffer);
      const b = vol.bytes;
      const lut = this.lut;
      const n = p.axis === 0 ? nz : p.axis === 1 ? ny : nx;
      const a0 = Math.max(0, plane - half);
      const a1 = Math.min(n - 1, plane + half);
      if (p.axis === 0) {
        for (let j = 0; j < ny; j++)
          for (let i = 0; i < nx; i++) {
            let m = 0;
            for (let k = a0; k <= a1; k++) {
              const v = b[(k * ny + j) * nx + i];
              if (v > m) m = v;
            }
            out[j * nx + i] = lut[m];
          }
      } else if (p.axis === 1) {
        for (let k = 0; k < nz; k++)
          for (let i = 0; i < nx; i++) {
            let m = 0;
            for (let j = a0; j <= a1; j++) {
              const v = b[(k * ny + j) * nx + i];
              if (v > m) m = v;
            }
            out[k * nx + i] = lut[m];
          }
      } else {
        for (let k = 0; k < nz; k++)
          for (let j = 0; j < ny; j++) {
            let m = 0;
            for (let i = a0; i <= a1; i++) {
              const v = b[(k * ny + j) * nx + i];
              if (v > m) m = v;
            }
            out[k * ny + j] = lut[m];
          }
      }
      p.offCtx.putImageData(p.image, 0, 0);
    }
    const ctx = p.ctx;
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(p.off, 0, 0, p.canvas.width, p.canvas.height);
    this.drawAtoms(p);
    this.drawCrosshair(p);
    this.drawScaleBar(p);
  }

  /** Canvas coordinates of an in-plane position in Å. */
  private toCanvas(uA: number, vA: number): [number, number] {
    return [(uA / this.d.voxelSizeA + 0.5) * this.scale, (vA / this.d.voxelSizeA + 0.5) * this.scale];
  }

  private drawAtoms(p: Panel): void {
    const { positions, species, scores } = this.d.atoms;
    const n = species.length;
    if (!n) return;
    const vs = this.d.voxelSizeA;
    const planeA = this.d.cursor[p.axis] * vs;
    const slab = this.d.atomSlabA;
    // normal coordinate index in (x, y, z) and in-plane (u, v) indices
    const [nIdx, uIdx, vIdx] = p.axis === 0 ? [2, 0, 1] : p.axis === 1 ? [1, 0, 2] : [0, 1, 2];
    let smin = Infinity;
    let smax = -Infinity;
    for (let a = 0; a < scores.length; a++) {
      if (scores[a] < smin) smin = scores[a];
      if (scores[a] > smax) smax = scores[a];
    }
    const span = smax > smin ? smax - smin : 1;
    const t = this.d.threshold;
    const ctx = p.ctx;
    ctx.lineWidth = 1.5;
    let colour = '';
    for (let a = 0; a < n; a++) {
      if (scores.length && scores[a] < t) continue;
      const dn = positions[3 * a + nIdx] - planeA;
      if (dn > slab || dn < -slab) continue;
      const [cx, cy] = this.toCanvas(positions[3 * a + uIdx], positions[3 * a + vIdx]);
      const r = scores.length ? 2 + 4 * ((scores[a] - smin) / span) : 3;
      const c = speciesColour(species[a]);
      if (c !== colour) {
        ctx.strokeStyle = c;
        colour = c;
      }
      ctx.beginPath();
      ctx.arc(cx, cy, r * Math.max(1, this.scale / 2), 0, 2 * Math.PI);
      ctx.stroke();
    }
  }

  private drawCrosshair(p: Panel): void {
    const [ck, cj, ci] = this.d.cursor;
    const [u, v] = p.axis === 0 ? [ci, cj] : p.axis === 1 ? [ci, ck] : [cj, ck];
    const ctx = p.ctx;
    ctx.strokeStyle = 'rgba(255, 80, 80, 0.7)';
    ctx.lineWidth = 1;
    ctx.beginPath();
    const x = (u + 0.5) * this.scale;
    const y = (v + 0.5) * this.scale;
    ctx.moveTo(x, 0);
    ctx.lineTo(x, p.canvas.height);
    ctx.moveTo(0, y);
    ctx.lineTo(p.canvas.width, y);
    ctx.stroke();
  }

  private drawScaleBar(p: Panel): void {
    const widthA = p.w * this.d.voxelSizeA;
    const len = niceLengthA(widthA / 4);
    const px = (len / this.d.voxelSizeA) * this.scale;
    const ctx = p.ctx;
    const y = p.canvas.height - 8;
    ctx.fillStyle = 'rgba(0,0,0,0.5)';
    ctx.fillRect(4, y - 14, px + 8, 18);
    ctx.fillStyle = '#fff';
    ctx.fillRect(8, y, px, 3);
    ctx.font = '10px sans-serif';
    ctx.fillText(`${len} Å`, 8, y - 3);
  }

  private voxelAt(p: Panel, e: MouseEvent): [number, number, number] {
    const r = p.canvas.getBoundingClientRect();
    const u = Math.floor(((e.clientX - r.left) / r.width) * p.w);
    const v = Math.floor(((e.clientY - r.top) / r.height) * p.h);
    const c = [...this.d.cursor] as [number, number, number];
    const [nz, ny, nx] = this.d.shape;
    const cl = (x: number, n: number): number => Math.max(0, Math.min(n - 1, x));
    if (p.axis === 0) return [c[0], cl(v, ny), cl(u, nx)];
    if (p.axis === 1) return [cl(v, nz), c[1], cl(u, nx)];
    return [cl(v, nz), cl(u, ny), c[2]];
  }

  private hover(p: Panel, e: MouseEvent): void {
    const [k, j, i] = this.voxelAt(p, e);
    const [, ny, nx] = this.d.shape;
    const vol = p.vol === 'volume' ? this.d.volume : this.d.compare!;
    const b = vol.bytes[(k * ny + j) * nx + i];
    const value = vol.range[0] + (b / 255) * (vol.range[1] - vol.range[0]);
    const vs = this.d.voxelSizeA;
    const [x, y, z] = [i * vs, j * vs, k * vs];
    let text = `voxel (k,j,i) = (${k}, ${j}, ${i})  value ${formatNumber(value)}  position (${x.toFixed(2)}, ${y.toFixed(2)}, ${z.toFixed(2)}) Å`;
    const near = this.nearestAtom(x, y, z);
    if (near) text += `  nearest atom #${near.index} ${near.species} at ${near.distA.toFixed(2)} Å`;
    this.readout.textContent = text;
  }

  private nearestAtom(x: number, y: number, z: number): { index: number; species: string; distA: number } | undefined {
    const { positions, species, scores } = this.d.atoms;
    let best = -1;
    let bd = Infinity;
    for (let a = 0; a < species.length; a++) {
      if (scores.length && scores[a] < this.d.threshold) continue;
      const dx = positions[3 * a] - x;
      const dy = positions[3 * a + 1] - y;
      const dz = positions[3 * a + 2] - z;
      const d = dx * dx + dy * dy + dz * dz;
      if (d < bd) {
        bd = d;
        best = a;
      }
    }
    return best < 0 ? undefined : { index: best, species: species[best], distA: Math.sqrt(bd) };
  }

  private click(p: Panel, e: MouseEvent): void {
    const c = this.voxelAt(p, e);
    this.d.cursor = c;
    for (const q of this.panels) q.slider.value = String(c[q.axis]);
    this.cb.cursor?.(c);
    this.render();
  }

  dispose(): void {
    if (this.raf) cancelAnimationFrame(this.raf);
    this.node.remove();
  }
}

function formatNumber(v: number): string {
  return Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(3) : v.toPrecision(4);
}

/** Quantise a Float32 volume to bytes over min…max (the .mrc viewer does this in the browser). */
export function quantise(data: ArrayLike<number>): { bytes: Uint8Array; range: [number, number] } {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (!Number.isFinite(lo)) {
    lo = 0;
    hi = 1;
  }
  const s = hi > lo ? 255 / (hi - lo) : 0;
  const bytes = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const q = (data[i] - lo) * s + 0.5;
    bytes[i] = q >= 0 ? (q > 255 ? 255 : q) : 0;
  }
  return { bytes, range: [lo, hi > lo ? hi : lo + 1] };
}
