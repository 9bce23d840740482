/** Live line plot (plotly.js): training loss, per-dose metrics. */
import { loadPlotly, plainText } from './atoms3d';
import { el } from './dom';

export interface PlotData {
  series: { name: string; x: number[]; y: number[] }[];
  title: string;
  xLabel: string;
  yLabel: string;
  logX: boolean;
  logY: boolean;
}

export class LinePlotPanel {
  readonly node: HTMLDivElement;
  private plot: HTMLDivElement;
  private drawn = false;

  constructor(private d: PlotData) {
    this.node = el('div', 'pann-lineplot');
    if (d.title) this.node.appendChild(el('div', 'pann-title', d.title));
    this.plot = el('div', 'pann-plot2d');
    this.node.appendChild(this.plot);
    void this.draw();
  }

  update(p: Partial<PlotData>): void {
    Object.assign(this.d, p);
    void this.draw();
  }

  private async draw(): Promise<void> {
    const P = await loadPlotly();
    const traces = this.d.series.map((s) => ({ type: 'scatter', mode: 'lines+markers', name: plainText(s.name), x: s.x, y: s.y, marker: { size: 4 } }));
    const layout = {
      height: 300,
      margin: { l: 60, r: 10, t: 10, b: 40 },
      xaxis: { title: { text: plainText(this.d.xLabel) }, type: this.d.logX ? 'log' : 'linear' },
      yaxis: { title: { text: plainText(this.d.yLabel) }, type: this.d.logY ? 'log' : 'linear' },
      uirevision: 'keep',
    };
    await (this.drawn ? P.react(this.plot, traces, layout, { displaylogo: false }) : P.newPlot(this.plot, traces, layout, { displaylogo: false }));
    this.drawn = true;
    this.node.dataset.points = String(this.d.series.reduce((n, s) => n + s.x.length, 0));
  }

  dispose(): void {
    void loadPlotly().then((P) => P.purge(this.plot));
    this.node.remove();
  }
}
