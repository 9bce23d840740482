/** Tilt-series viewer: one projection at a time with an angle slider. */
import { PannError } from '../core/errors';
import type { TiltSeries } from '../core/types';
import { quantiseVolume } from './payload';
import { PannWidget, type ViewOptions } from './widget';

/** Options of {@link tiltViewer}. */
export interface TiltViewerOptions extends ViewOptions {
  /** Byte budget of the quantised stack (default 16 MiB). */
  maxBytes?: number;
  /** Projection shown first (default: the one closest to 0°). */
  index?: number;
}

/** Kernel handle of a displayed tilt-series viewer. */
export class TiltViewerWidget extends PannWidget {
  /** @internal use {@link tiltViewer} */
  constructor(series: TiltSeries, o: TiltViewerOptions) {
    const [n] = series.shape;
    if (series.anglesDeg?.length !== n) throw new PannError('SHAPE', `${series.anglesDeg?.length} angle triples for ${n} projections`, { field: 'anglesDeg' });
    // Quantise per stack; binning applies only in-plane-compatible blocks, so refuse binning of the angle axis.
    const q = quantiseVolume({ data: series.data, shape: series.shape, voxelSizeA: series.pixelSizeA }, o.maxBytes, 'tiltSeries');
    if (q.binning > 1) throw new PannError('OPTION', `tilt series of ${series.shape.join('×')} exceeds maxBytes; crop or bin it first`, { field: 'maxBytes' });
    const tilt = series.anglesDeg.map((a) => a[1]);
    let best = 0;
    tilt.forEach((t, i) => {
      if (Math.abs(t) < Math.abs(tilt[best])) best = i;
    });
    super('TiltViewerModel', 'TiltViewerView', {
      stack: q.bytes,
      stack_shape: q.shape,
      stack_range: [q.min, q.max],
      pixel_size_a: series.pixelSizeA,
      angles_deg: series.anglesDeg,
      index: o.index ?? best,
    });
  }

  /** Index of the projection shown; the slider writes it. */
  get index(): number {
    return this.state.index as number;
  }
  set index(i: number) {
    this.set({ index: i });
  }

  override describe(): string {
    return `TiltViewer(${(this.state.stack_shape as number[]).join('×')}, projection ${this.index})`;
  }
}

/**
 * Show a tilt series (projection stack) with an angle slider. Bytes sent: 1 a pixel (8-bit quantised).
 * @param series - projections [nAngles, ny, nx], pixel size in Å, ZYZ angles in degrees.
 */
export function tiltViewer(series: TiltSeries, options: TiltViewerOptions = {}): TiltViewerWidget {
  const w = new TiltViewerWidget(series, options);
  if (options.display !== false) w.display();
  return w;
}
