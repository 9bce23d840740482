/** Defaults of the file viewers, from the settings schema (schema/plugin.json); the main plugin keeps them current. */
export interface ViewerDefaults {
  colormap: string;
  autoPercentiles: [number, number];
  atomSlabA: number;
  maxFileVoxels: number;
  markerSizePx: number;
}

/** Shared by the plugin (writer) and the MIME renderers (readers). */
export const viewerDefaults: ViewerDefaults = {
  colormap: 'gray',
  autoPercentiles: [0.5, 99.5],
  atomSlabA: 2,
  maxFileVoxels: 256 * 256 * 256,
  markerSizePx: 4,
};

/** Copy valid values of a settings object into viewerDefaults. */
export function applySettings(s: Partial<Record<keyof ViewerDefaults, unknown>>): void {
  if (typeof s.colormap === 'string') viewerDefaults.colormap = s.colormap;
  if (Array.isArray(s.autoPercentiles) && s.autoPercentiles.length === 2) viewerDefaults.autoPercentiles = [Number(s.autoPercentiles[0]), Number(s.autoPercentiles[1])];
  if (typeof s.atomSlabA === 'number' && s.atomSlabA >= 0) viewerDefaults.atomSlabA = s.atomSlabA;
  if (typeof s.maxFileVoxels === 'number' && s.maxFileVoxels >= 4096) viewerDefaults.maxFileVoxels = s.maxFileVoxels;
  if (typeof s.markerSizePx === 'number' && s.markerSizePx > 0) viewerDefaults.markerSizePx = s.markerSizePx;
}
