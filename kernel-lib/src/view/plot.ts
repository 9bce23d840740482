/** Live line plots (plotly.js): training loss, per-dose metrics. Points are appended in place. */
import { PannError } from '../core/errors';
import { PannWidget, type ViewOptions } from './widget';

/** One named line. */
export interface Series {
  name: string;
  x: number[];
  y: number[];
}

/** Options of {@link plot}. */
export interface PlotOptions extends ViewOptions {
  title?: string;
  xLabel?: string;
  yLabel?: string;
  /** Logarithmic y axis. */
  logY?: boolean;
  /** Logarithmic x axis (e.g. dose in e⁻/Å²). */
  logX?: boolean;
  /** Minimum time between two updates sent to the frontend, ms (default 200). */
  throttleMs?: number;
}

/** Kernel handle of a displayed live plot. */
export class PlotWidget extends PannWidget {
  private series: Series[];
  private timer: NodeJS.Timeout | undefined;
  private lastSent = 0;

  /** @internal use {@link plot} */
  constructor(series: Series[], private readonly o: PlotOptions) {
    super('PlotModel', 'PlotView', { series: series.map((s) => ({ ...s })), title: o.title ?? '', x_label: o.xLabel ?? '', y_label: o.yLabel ?? '', log_y: !!o.logY, log_x: !!o.logX });
    this.series = series.map((s) => ({ name: s.name, x: [...s.x], y: [...s.y] }));
  }

  /**
   * Append a point to a series (created when new); updates are throttled.
   * @param name - series name.
   * @param x - x value (e.g. step or dose).
   * @param y - y value (e.g. loss).
   */
  append(name: string, x: number, y: number): void {
    if (!Number.isFinite(x)) throw new PannError('VALUE', `x must be finite, got ${x}`, { field: 'x' });
    let s = this.series.find((t) => t.name === name);
    if (!s) this.series.push((s = { name, x: [], y: [] }));
    s.x.push(x);
    s.y.push(y);
    this.schedule();
  }

  /** Current data (copies). */
  get data(): Series[] {
    return this.series.map((s) => ({ name: s.name, x: [...s.x], y: [...s.y] }));
  }

  /** Send pending points now. */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.lastSent = Date.now();
    this.set({ series: this.data });
  }

  private schedule(): void {
    const wait = (this.o.throttleMs ?? 200) - (Date.now() - this.lastSent);
    if (wait <= 0) this.flush();
    else if (!this.timer) this.timer = setTimeout(() => this.flush(), wait);
  }

  override describe(): string {
    return `Plot(${this.series.map((s) => `${s.name}: ${s.x.length} points`).join(', ')})`;
  }
}

/**
 * A live line plot.
 * @param series - initial lines.
 */
export function plot(series: Series[] = [], options: PlotOptions = {}): PlotWidget {
  const w = new PlotWidget(series, options);
  if (options.display !== false) w.display();
  return w;
}

/** A live training-loss plot (log y); call `append('train', step, loss)`. */
export function lossPlot(options: PlotOptions = {}): PlotWidget {
  return plot([], { title: 'Training loss', xLabel: 'step', yLabel: 'loss', logY: true, ...options });
}
