/**
 * Notebook views (ipywidgets protocol, rendered by the `@pann-aet/jupyterlab` extension):
 * `slicer`, `atomViewer`, `tiltViewer`, `plot` / `lossPlot`, `progressBar`.
 * In the "TypeScript (pann-aet)" kernel they display in the running cell and sync state both ways.
 */
export { slicer, SlicerWidget, type Colormap, type SlicerOptions } from './slicer';
export { atomViewer, AtomViewerWidget, type AtomViewerOptions } from './atom-viewer';
export { tiltViewer, TiltViewerWidget, type TiltViewerOptions } from './tilt-viewer';
export { plot, lossPlot, PlotWidget, type PlotOptions, type Series } from './plot';
export { progressBar, ProgressBarWidget, type ProgressBarOptions } from './progress';
export { PannWidget, FRONTEND_MODULE, FRONTEND_VERSION, WIDGET_PROTOCOL_VERSION, WIDGET_VIEW_MIME, type ViewOptions } from './widget';
export { quantiseVolume, atomsPayload, countSurvivors, DEFAULT_MAX_VOLUME_BYTES, type QuantisedVolume, type AtomsPayload } from './payload';
