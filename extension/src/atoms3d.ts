/**
 * Atom viewer: plotly.js WebGL 3D scatter, one trace per species (species colours), hover with index, species,
 * class probabilities and position; filters by species and confidence; optional bonds within a cutoff;
 * PNG and XYZ export. plotly is loaded on first use (it is large).
 */
import { speciesColour } from './colormaps';
import { download, el, labelled, numberInput, slider } from './dom';

/** Atoms as the viewer gets them (positions in Å, Float32 x,y,z per atom). */
export interface AtomData {
  positions: Float32Array;
  species: string[];
  scores: Float32Array;
  scoreName: string;
  probabilities: Float32Array;
  probabilityLabels: string[];
  minScore: number;
  hiddenSpecies: string[];
  bondCutoffA: number;
  markerSizePx: number;
  title: string;
}

export interface AtomCallbacks {
  filters?(f: { minScore: number; hiddenSpecies: string[]; bondCutoffA: number }, visibleCount: number): void;
}

type PlotlyT = typeof import('plotly.js-dist-min').default;
let plotlyPromise: Promise<PlotlyT> | undefined;
/** Load plotly.js once. */
export function loadPlotly(): Promise<PlotlyT> {
  plotlyPromise ??= import('plotly.js-dist-min').then((m) => ((m as unknown as { default?: PlotlyT }).default ?? (m as unknown as PlotlyT)));
  return plotlyPromise;
}

/** Escape the characters plotly's label markup would interpret, so labels stay plain text. */
export function plainText(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Bond segments (pairs of atom indices) shorter than cutoff, via a cell list; at most maxBonds. */
export function findBonds(pos: Float32Array, keep: Uint8Array, cutoffA: number, maxBonds = 300_000): Int32Array {
  const n = keep.length;
  if (!(cutoffA > 0) || n === 0) return new Int32Array(0);
  let mnx = Infinity, mny = Infinity, mnz = Infinity;
  for (let a = 0; a < n; a++) {
    mnx = Math.min(mnx, pos[3 * a]);
    mny = Math.min(mny, pos[3 * a + 1]);
    mnz = Math.min(mnz, pos[3 * a + 2]);
  }
  const cells = new Map<number, number[]>();
  const key = (i: number, j: number, k: number): number => (i * 4096 + j) * 4096 + k;
  const ci = (a: number): [number, number, number] => [Math.floor((pos[3 * a] - mnx) / cutoffA), Math.floor((pos[3 * a + 1] - mny) / cutoffA), Math.floor((pos[3 * a + 2] - mnz) / cutoffA)];
  for (let a = 0; a < n; a++) {
    if (!keep[a]) continue;
    const [i, j, k] = ci(a);
    const kk = key(i, j, k);
    let c = cells.get(kk);
    if (!c) cells.set(kk, (c = []));
    c.push(a);
  }
  const out: number[] = [];
  const c2 = cutoffA * cutoffA;
  for (let a = 0; a < n && out.length < 2 * maxBonds; a++) {
    if (!keep[a]) continue;
    const [i, j, k] = ci(a);
    for (let di = -1; di <= 1; di++)
      for (let dj = -1; dj <= 1; dj++)
        for (let dk = -1; dk <= 1; dk++) {
          const c = cells.get(key(i + di, j + dj, k + dk));
          if (!c) continue;
          for (const b of c) {
            if (b <= a) continue;
            const dx = pos[3 * a] - pos[3 * b], dy = pos[3 * a + 1] - pos[3 * b + 1], dz = pos[3 * a + 2] - pos[3 * b + 2];
            if (dx * dx + dy * dy + dz * dz <= c2) out.push(a, b);
          }
        }
  }
  return Int32Array.from(out);
}

/** Extended XYZ text of the given atoms. */
export function toXyz(d: AtomData, keep: Uint8Array): string {
  const lines: string[] = [];
  let n = 0;
  for (let a = 0; a < keep.length; a++) {
    if (!keep[a]) continue;
    n++;
    const row = [d.species[a], d.positions[3 * a].toFixed(5), d.positions[3 * a + 1].toFixed(5), d.positions[3 * a + 2].toFixed(5)];
    if (d.scores.length) row.push(d.scores[a].toPrecision(6));
    lines.push(row.join(' '));
  }
  const props = d.scores.length ? `Properties=species:S:1:pos:R:3:${d.scoreName || 'score'}:R:1` : 'Properties=species:S:1:pos:R:3';
  return `${n}\n${props} pbc="F F F"\n${lines.join('\n')}\n`;
}

export class AtomPanel {
  readonly node: HTMLDivElement;
  private plot: HTMLDivElement;
  private speciesBox: HTMLDivElement;
  private scoreSlider: HTMLInputElement;
  private scoreValue: HTMLSpanElement;
  private bondInput: HTMLInputElement;
  private count: HTMLSpanElement;
  private status: HTMLSpanElement;
  private keep = new Uint8Array(0);
  private hoverText: string[] = [];
  private hoverKey = '';
  private drawn = false;
  /** ms of the last plot update (Plotly.react) */
  lastDrawMs = 0;

  constructor(private d: AtomData, private readonly cb: AtomCallbacks = {}) {
    this.node = el('div', 'pann-atoms');
    const controls = el('div', 'pann-controls');
    if (d.title) this.node.appendChild(el('div', 'pann-title', d.title));
    this.speciesBox = el('div', 'pann-species');
    this.scoreSlider = slider(0, 1, 0.001, 0, 'pann-min-score');
    this.scoreValue = el('span', 'pann-threshold-value');
    this.bondInput = numberInput(d.bondCutoffA, 0.1, 'pann-bond-cutoff');
    this.count = el('span', 'pann-count');
    const png = el('button', 'pann-button pann-export-png', 'PNG');
    const xyz = el('button', 'pann-button pann-export-xyz', 'XYZ');
    const conf = labelled('min confidence', this.scoreSlider);
    conf.appendChild(this.scoreValue);
    controls.append(this.speciesBox, conf, labelled('bonds ≤ Å (0 = off)', this.bondInput), this.count, png, xyz);
    this.plot = el('div', 'pann-plot3d');
    this.status = el('span', 'pann-frame');
    this.node.append(controls, this.plot, this.status);
    this.scoreSlider.addEventListener('input', () => {
      this.d.minScore = Number(this.scoreSlider.value);
      this.changed();
    });
    this.bondInput.addEventListener('change', () => {
      this.d.bondCutoffA = Math.max(0, Number(this.bondInput.value) || 0);
      this.changed();
    });
    png.addEventListener('click', () => void loadPlotly().then((P) => P.downloadImage(this.plot, { format: 'png', filename: 'atoms' })));
    xyz.addEventListener('click', () => download(new Blob([toXyz(this.d, this.keep)], { type: 'chemical/x-xyz' }), 'atoms.xyz'));
    this.rebuildControls();
    void this.draw();
  }

  /** Atoms passing the filters. */
  get visibleCount(): number {
    let c = 0;
    for (let a = 0; a < this.keep.length; a++) c += this.keep[a];
    return c;
  }

  update(partial: Partial<AtomData>): void {
    const atomsChanged = partial.positions !== undefined || partial.species !== undefined;
    Object.assign(this.d, partial);
    if (atomsChanged) this.rebuildControls();
    void this.draw();
  }

  private changed(): void {
    void this.draw();
    this.cb.filters?.({ minScore: this.d.minScore, hiddenSpecies: [...this.d.hiddenSpecies], bondCutoffA: this.d.bondCutoffA }, this.visibleCount);
  }

  private rebuildControls(): void {
    this.speciesBox.textContent = '';
    const uniq = [...new Set(this.d.species)].sort();
    for (const s of uniq) {
      const cbx = el('input');
      cbx.type = 'checkbox';
      cbx.checked = !this.d.hiddenSpecies.includes(s);
      cbx.dataset.species = s;
      cbx.addEventListener('change', () => {
        const hidden = new Set(this.d.hiddenSpecies);
        if (cbx.checked) hidden.delete(s);
        else hidden.add(s);
        this.d.hiddenSpecies = [...hidden];
        this.changed();
      });
      const l = labelled(s, cbx, 'pann-species-toggle');
      l.style.color = speciesColour(s);
      this.speciesBox.appendChild(l);
    }
    const sc = this.d.scores;
    let lo = Infinity, hi = -Infinity;
    for (let i = 0; i < sc.length; i++) {
      lo = Math.min(lo, sc[i]);
      hi = Math.max(hi, sc[i]);
    }
    if (!Number.isFinite(lo)) [lo, hi] = [0, 1];
    this.scoreSlider.min = String(lo);
    this.scoreSlider.max = String(hi > lo ? hi : lo + 1);
    this.scoreSlider.step = String((hi > lo ? hi - lo : 1) / 1000);
    this.scoreSlider.disabled = sc.length === 0;
    this.hoverKey = '';
  }

  private buildHover(): void {
    const d = this.d;
    const key = `${d.species.length}:${d.positions[0]}:${d.probabilityLabels.join()}`;
    if (key === this.hoverKey) return;
    this.hoverKey = key;
    const L = d.probabilityLabels.length;
    this.hoverText = d.species.map((s, a) => {
      const parts = [`#${a} ${plainText(s)}`];
      if (d.scores.length) parts.push(`${plainText(d.scoreName || 'score')} ${d.scores[a].toPrecision(4)}`);
      if (L) parts.push(d.probabilityLabels.map((lab, c) => `P(${plainText(lab)}) ${d.probabilities[a * L + c].toFixed(3)}`).join(' '));
      parts.push(`(${d.positions[3 * a].toFixed(2)}, ${d.positions[3 * a + 1].toFixed(2)}, ${d.positions[3 * a + 2].toFixed(2)}) Å`);
      return parts.join('<br>');
    });
  }

  private async draw(): Promise<void> {
    const d = this.d;
    const n = d.species.length;
    this.scoreSlider.value = String(d.minScore);
    this.scoreValue.textContent = ` ${d.minScore.toPrecision(4)}`;
    this.bondInput.value = String(d.bondCutoffA);
    const hidden = new Set(d.hiddenSpecies);
    this.keep = new Uint8Array(n);
    for (let a = 0; a < n; a++) this.keep[a] = !hidden.has(d.species[a]) && (d.scores.length === 0 || d.scores[a] >= d.minScore) ? 1 : 0;
    const visible = this.visibleCount;
    this.count.textContent = `${visible} / ${n} atoms shown`;
    this.count.dataset.visibleCount = String(visible);
    this.buildHover();
    const t0 = performance.now();
    const bySpecies = new Map<string, number[]>();
    for (let a = 0; a < n; a++) {
      if (!this.keep[a]) continue;
      let l = bySpecies.get(d.species[a]);
      if (!l) bySpecies.set(d.species[a], (l = []));
      l.push(a);
    }
    const traces: unknown[] = [];
    for (const [s, idx] of [...bySpecies].sort((x, y) => (x[0] < y[0] ? -1 : 1))) {
      const x = new Float32Array(idx.length), y = new Float32Array(idx.length), z = new Float32Array(idx.length);
      idx.forEach((a, i) => {
        x[i] = d.positions[3 * a];
        y[i] = d.positions[3 * a + 1];
        z[i] = d.positions[3 * a + 2];
      });
      traces.push({ type: 'scatter3d', mode: 'markers', name: plainText(s), x, y, z, text: idx.map((a) => this.hoverText[a]), hoverinfo: 'text', marker: { size: d.markerSizePx, color: speciesColour(s), opacity: 1 } });
    }
    if (d.bondCutoffA > 0) {
      const bonds = findBonds(d.positions, this.keep, d.bondCutoffA);
      const m = bonds.length / 2;
      const x = new Array<number | null>(3 * m), y = new Array<number | null>(3 * m), z = new Array<number | null>(3 * m);
      for (let b = 0; b < m; b++) {
        const p = bonds[2 * b], q = bonds[2 * b + 1];
        x[3 * b] = d.positions[3 * p]; y[3 * b] = d.positions[3 * p + 1]; z[3 * b] = d.positions[3 * p + 2];
        x[3 * b + 1] = d.positions[3 * q]; y[3 * b + 1] = d.positions[3 * q + 1]; z[3 * b + 1] = d.positions[3 * q + 2];
        x[3 * b + 2] = y[3 * b + 2] = z[3 * b + 2] = null;
      }
      traces.push({ type: 'scatter3d', mode: 'lines', name: `bonds (${m})`, x, y, z, hoverinfo: 'skip', line: { color: '#888', width: 2 } });
    }
    const layout = { margin: { l: 0, r: 0, t: 0, b: 0 }, height: 420, showlegend: true, scene: { aspectmode: 'data', xaxis: { title: { text: 'x (Å)' } }, yaxis: { title: { text: 'y (Å)' } }, zaxis: { title: { text: 'z (Å)' } } }, uirevision: 'keep' };
    const P = await loadPlotly();
    await (this.drawn ? P.react(this.plot, traces, layout, { displaylogo: false, responsive: true }) : P.newPlot(this.plot, traces, layout, { displaylogo: false, responsive: true }));
    this.drawn = true;
    this.lastDrawMs = performance.now() - t0;
    this.status.textContent = `plot update ${this.lastDrawMs.toFixed(0)} ms`;
    this.node.dataset.drawMs = this.lastDrawMs.toFixed(1);
    this.node.dataset.rendered = 'true';
  }

  dispose(): void {
    void loadPlotly().then((P) => P.purge(this.plot));
    this.node.remove();
  }
}
