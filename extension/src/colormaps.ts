/** Colormaps as 256-entry RGB tables (linear interpolation between a few control points of matplotlib's maps). */

const STOPS: Record<string, number[][]> = {
  gray: [[0, 0, 0], [255, 255, 255]],
  viridis: [[68, 1, 84], [72, 40, 120], [62, 74, 137], [49, 104, 142], [38, 130, 142], [31, 158, 137], [53, 183, 121], [110, 206, 88], [181, 222, 43], [253, 231, 37]],
  magma: [[0, 0, 4], [28, 16, 68], [79, 18, 123], [129, 37, 129], [181, 54, 122], [229, 80, 100], [251, 135, 97], [254, 194, 135], [252, 253, 191]],
  inferno: [[0, 0, 4], [31, 12, 72], [85, 15, 109], [136, 34, 106], [186, 54, 85], [227, 89, 51], [249, 140, 10], [249, 201, 50], [252, 255, 164]],
  cividis: [[0, 34, 78], [40, 60, 108], [87, 92, 109], [124, 123, 120], [166, 157, 117], [212, 194, 98], [254, 232, 56]],
};

/** Names of the known colormaps. */
export const COLORMAPS = Object.keys(STOPS);

const cache = new Map<string, Uint8Array>();

/** 256×3 RGB table of a colormap (gray when unknown). */
export function colormapTable(name: string): Uint8Array {
  const key = STOPS[name] ? name : 'gray';
  let t = cache.get(key);
  if (t) return t;
  const stops = STOPS[key];
  t = new Uint8Array(256 * 3);
  for (let i = 0; i < 256; i++) {
    const f = (i / 255) * (stops.length - 1);
    const a = Math.min(stops.length - 2, Math.floor(f));
    const w = f - a;
    for (let c = 0; c < 3; c++) t[i * 3 + c] = Math.round(stops[a][c] * (1 - w) + stops[a + 1][c] * w);
  }
  cache.set(key, t);
  return t;
}

/**
 * RGBA lookup table for bytes 0…255 through a display window [lo, hi] (in byte units) and a colormap.
 */
export function windowLut(name: string, lo: number, hi: number): Uint32Array {
  const t = colormapTable(name);
  const lut = new Uint32Array(256);
  const span = hi > lo ? hi - lo : 1;
  for (let b = 0; b < 256; b++) {
    const f = Math.max(0, Math.min(255, Math.round(((b - lo) / span) * 255)));
    // Little-endian ImageData: A B G R in a Uint32.
    lut[b] = (255 << 24) | (t[f * 3 + 2] << 16) | (t[f * 3 + 1] << 8) | t[f * 3];
  }
  return lut;
}

/** Byte values at the given percentiles (%) of a byte volume's histogram. */
export function bytePercentiles(bytes: Uint8Array, lowPct: number, highPct: number): [number, number] {
  const h = new Float64Array(256);
  for (let i = 0; i < bytes.length; i++) h[bytes[i]]++;
  const n = bytes.length;
  const find = (p: number): number => {
    const target = (p / 100) * n;
    let acc = 0;
    for (let b = 0; b < 256; b++) {
      acc += h[b];
      if (acc >= target) return b;
    }
    return 255;
  };
  const lo = find(lowPct);
  let hi = find(highPct);
  if (hi <= lo) hi = Math.min(255, lo + 1);
  return [lo, hi];
}

const SPECIES_COLOURS: Record<string, string> = {
  H: '#e0e0e0', C: '#555555', N: '#3050f8', O: '#ff0d0d', Si: '#f0c8a0', S: '#ffff30', Fe: '#e06633', Co: '#f090a0', Ni: '#50d050',
  Cu: '#c88033', Zn: '#7d80b0', Pd: '#006985', Ag: '#c0c0c0', Pt: '#2f6fdf', Au: '#ffd123', Ir: '#175487', Ru: '#248f8f', Rh: '#0a7d8c',
};
const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

/** A stable colour per species (CPK-like for common elements, a palette otherwise). */
export function speciesColour(species: string): string {
  if (SPECIES_COLOURS[species]) return SPECIES_COLOURS[species];
  let h = 0;
  for (let i = 0; i < species.length; i++) h = (h * 31 + species.charCodeAt(i)) >>> 0;
  return PALETTE[h % PALETTE.length];
}
