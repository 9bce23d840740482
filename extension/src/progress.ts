/** In-cell progress bar for long stages; updated in place by the kernel. */
import { el } from './dom';

export interface ProgressData {
  stage: string;
  done: number;
  total: number;
  message: string;
  status: 'running' | 'done' | 'error' | string;
  startedMs: number;
}

export class ProgressPanel {
  readonly node: HTMLDivElement;
  private bar: HTMLDivElement;
  private text: HTMLDivElement;

  constructor(private d: ProgressData) {
    this.node = el('div', 'pann-progress');
    const track = el('div', 'pann-progress-track');
    this.bar = el('div', 'pann-progress-bar');
    track.appendChild(this.bar);
    this.text = el('div', 'pann-progress-text');
    this.node.append(track, this.text);
    this.render();
  }

  update(p: Partial<ProgressData>): void {
    Object.assign(this.d, p);
    this.render();
  }

  render(): void {
    const f = this.d.total > 0 ? Math.max(0, Math.min(1, this.d.done / this.d.total)) : 0;
    this.bar.style.width = `${(f * 100).toFixed(1)}%`;
    this.node.dataset.status = this.d.status;
    this.node.dataset.fraction = f.toFixed(4);
    const elapsed = (Date.now() - this.d.startedMs) / 1000;
    const eta = f > 0 && f < 1 && this.d.status === 'running' ? `, ~${((elapsed * (1 - f)) / f).toFixed(0)} s left` : '';
    this.text.textContent = `${this.d.stage || 'progress'}: ${(f * 100).toFixed(0)} % (${this.d.done}/${this.d.total})${eta} ${this.d.status === 'running' ? '' : this.d.status}${this.d.message ? ' — ' + this.d.message : ''}`;
  }

  dispose(): void {
    this.node.remove();
  }
}
