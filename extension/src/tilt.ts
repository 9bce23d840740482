/** Tilt-series viewer: one 8-bit projection at a time, angle slider, scale bar. */
import { windowLut, bytePercentiles } from './colormaps';
import { el, labelled, niceLengthA, slider } from './dom';

export interface TiltData {
  stack: Uint8Array;
  /** [nAngles, ny, nx] */
  shape: [number, number, number];
  range: [number, number];
  pixelSizeA: number;
  /** ZYZ Euler triples in degrees. */
  anglesDeg: [number, number, number][];
  index: number;
}

export class TiltPanel {
  readonly node: HTMLDivElement;
  private canvas: HTMLCanvasElement;
  private off: HTMLCanvasElement;
  private slider: HTMLInputElement;
  private label: HTMLSpanElement;
  private lut: Uint32Array;

  constructor(private d: TiltData, private readonly onIndex?: (i: number) => void) {
    this.node = el('div', 'pann-tilt');
    const [n, ny, nx] = d.shape;
    this.slider = slider(0, Math.max(0, n - 1), 1, d.index, 'pann-angle');
    this.label = el('span', 'pann-angle-label');
    const c = labelled('projection', this.slider);
    c.appendChild(this.label);
    const scale = Math.max(0.25, Math.min(4, 384 / Math.max(nx, ny, 1)));
    this.canvas = el('canvas', 'pann-canvas');
    this.canvas.width = Math.round(nx * scale);
    this.canvas.height = Math.round(ny * scale);
    this.off = el('canvas');
    this.off.width = nx;
    this.off.height = ny;
    const [lo, hi] = bytePercentiles(d.stack, 0.5, 99.5);
    this.lut = windowLut('gray', lo, hi);
    this.node.append(c, this.canvas);
    this.slider.addEventListener('input', () => {
      this.d.index = Number(this.slider.value);
      this.render();
      this.onIndex?.(this.d.index);
    });
    this.render();
  }

  update(p: Partial<TiltData>): void {
    Object.assign(this.d, p);
    this.render();
  }

  render(): void {
    const [n, ny, nx] = this.d.shape;
    if (!n) return;
    const i = Math.max(0, Math.min(n - 1, this.d.index));
    this.slider.value = String(i);
    const a = this.d.anglesDeg[i] ?? [0, 0, 0];
    this.label.textContent = ` ${i + 1}/${n}  tilt ${a[1].toFixed(1)}°  (φ ${a[0].toFixed(1)}°, ψ ${a[2].toFixed(1)}°)`;
    const ctx = this.off.getContext('2d', { willReadFrequently: true })!;
    const img = ctx.createImageData(nx, ny);
    const out = new Uint32Array(img.data.buffer);
    const o = i * nx * ny;
    for (let p = 0; p < nx * ny; p++) out[p] = this.lut[this.d.stack[o + p]];
    ctx.putImageData(img, 0, 0);
    const c = this.canvas.getContext('2d', { willReadFrequently: true })!;
    c.imageSmoothingEnabled = false;
    c.drawImage(this.off, 0, 0, this.canvas.width, this.canvas.height);
    const len = niceLengthA((nx * this.d.pixelSizeA) / 4);
    const px = (len / this.d.pixelSizeA) * (this.canvas.width / nx);
    c.fillStyle = '#fff';
    c.fillRect(8, this.canvas.height - 8, px, 3);
    c.font = '10px sans-serif';
    c.fillText(`${len} Å`, 8, this.canvas.height - 11);
  }

  dispose(): void {
    this.node.remove();
  }
}
