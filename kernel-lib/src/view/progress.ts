/** In-cell progress bar for long stages (reconstruction, refinement, training); updates in place. */
import type { ProgressCallback, ProgressEvent } from '../core/types';
import { PannWidget, type ViewOptions } from './widget';

/** Options of {@link progressBar}. */
export interface ProgressBarOptions extends ViewOptions {
  /** Stage name shown as plain text. */
  stage?: string;
  /** Number of work units (default 1). */
  total?: number;
  /** Minimum time between two updates sent, ms (default 100). */
  throttleMs?: number;
}

/** Kernel handle of a displayed progress bar. */
export class ProgressBarWidget extends PannWidget {
  private last = 0;
  private pending: Record<string, unknown> | undefined;
  private timer: NodeJS.Timeout | undefined;

  /** @internal use {@link progressBar} */
  constructor(private readonly o: ProgressBarOptions) {
    super('ProgressModel', 'ProgressView', { stage: o.stage ?? '', done: 0, total: o.total ?? 1, message: '', status: 'running', started_ms: Date.now() });
  }

  /** Report progress; pass to a stage as its `onProgress` through {@link ProgressBarWidget.callback}. */
  update(done: number, total?: number, message?: string, stage?: string): void {
    const next: Record<string, unknown> = { done };
    if (total !== undefined) next.total = total;
    if (message !== undefined) next.message = message;
    if (stage !== undefined) next.stage = stage;
    this.pending = { ...this.pending, ...next };
    const wait = (this.o.throttleMs ?? 100) - (Date.now() - this.last);
    if (wait <= 0 || done >= ((total ?? this.state.total) as number)) this.flushNow();
    else if (!this.timer) this.timer = setTimeout(() => this.flushNow(), wait);
  }

  /** A ProgressCallback that drives this bar. */
  get callback(): ProgressCallback {
    return (e: ProgressEvent) => this.update(e.done, e.total, e.message, e.stage);
  }

  /** Mark finished (or failed with a message). */
  finish(error?: string): void {
    this.pending = { ...this.pending, status: error ? 'error' : 'done', message: error ?? this.pending?.message ?? this.state.message, done: error ? this.state.done : this.state.total };
    this.flushNow();
  }

  private flushNow(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.pending) return;
    this.last = Date.now();
    const p = this.pending;
    this.pending = undefined;
    this.set(p);
  }

  /** Fraction done in [0, 1]. */
  get fraction(): number {
    const t = this.state.total as number;
    return t > 0 ? Math.min(1, (this.state.done as number) / t) : 0;
  }

  override describe(): string {
    return `${this.state.stage || 'progress'}: ${Math.round(this.fraction * 100)} % (${this.state.done}/${this.state.total}) ${this.state.status}`;
  }
}

/** Show a progress bar in the running cell. */
export function progressBar(options: ProgressBarOptions = {}): ProgressBarWidget {
  const w = new ProgressBarWidget(options);
  if (options.display !== false) w.display();
  return w;
}
