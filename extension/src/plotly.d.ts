/** Minimal typing of the plotly.js bundle used here (newPlot/react/purge/downloadImage). */
declare module 'plotly.js-dist-min' {
  const Plotly: {
    newPlot(root: HTMLElement, data: unknown[], layout?: unknown, config?: unknown): Promise<HTMLElement>;
    react(root: HTMLElement, data: unknown[], layout?: unknown, config?: unknown): Promise<HTMLElement>;
    purge(root: HTMLElement): void;
    downloadImage(root: HTMLElement, opts: { format: string; filename: string; width?: number; height?: number }): Promise<string>;
    toImage(root: HTMLElement, opts: { format: string; width?: number; height?: number }): Promise<string>;
    Plots: { resize(root: HTMLElement): void };
  };
  export default Plotly;
}
