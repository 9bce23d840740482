/**
 * A live loss display for notebook training: `await pann.glare.train({ onStep: liveLossPlot(display) })`
 * redraws an SVG chart of the step losses (log scale) and validation MSE every `everySteps` steps
 * through the notebook's display function (tslab: `require('tslab').display.html`).
 */
import type { TrainStepEvent } from './training';

/** An SVG line chart (log10 y) of loss series by name. */
export function lossChartSvg(series: Record<string, { step: number; value: number }[]>, width = 520, height = 220): string {
  const pts = Object.values(series).flat().filter((p) => p.value > 0);
  if (!pts.length) return `<svg width="${width}" height="${height}"></svg>`;
  const maxStep = Math.max(...pts.map((p) => p.step), 1);
  const ly = pts.map((p) => Math.log10(p.value));
  const lo = Math.min(...ly),
    hi = Math.max(...ly) + 1e-9;
  const colours = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e'];
  const m = 40;
  const paths = Object.entries(series).map(([name, s], i) => {
    const d = s
      .filter((p) => p.value > 0)
      .map((p, j) => `${j ? 'L' : 'M'}${(m + (p.step / maxStep) * (width - m - 10)).toFixed(1)},${(height - 20 - ((Math.log10(p.value) - lo) / (hi - lo)) * (height - 40)).toFixed(1)}`)
      .join('');
    return `<path d="${d}" fill="none" stroke="${colours[i % 4]}" stroke-width="1.2"/><text x="${m + 10 + 130 * i}" y="14" fill="${colours[i % 4]}" font-size="12">${name}</text>`;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif"><text x="2" y="${height - 22}" font-size="10">1e${lo.toFixed(1)}</text><text x="2" y="30" font-size="10">1e${hi.toFixed(1)}</text><text x="${width - 60}" y="${height - 4}" font-size="10">step ${maxStep}</text>${paths.join('')}</svg>`;
}

/**
 * An `onStep` callback that keeps the loss history and shows the chart.
 * @param show receives the SVG markup (e.g. tslab's display.html); default: one text line to the console
 * @param everySteps redraw period in steps (default 10)
 */
export function liveLossPlot(show?: (svg: string) => void, everySteps = 10): (e: TrainStepEvent) => void {
  const series: Record<string, { step: number; value: number }[]> = {};
  return (e) => {
    (series[`${e.net} loss`] ??= []).push({ step: e.step, value: e.loss });
    if (e.validation) (series[`${e.net} validation MSE`] ??= []).push({ step: e.step, value: e.validation.mse });
    if (e.step % everySteps !== 0) return;
    if (show) show(lossChartSvg(series));
    else console.log(`${e.net} step ${e.step}/${e.maxSteps}: loss ${e.loss.toExponential(3)} (${e.elapsedS.toFixed(0)} s)`);
  };
}
