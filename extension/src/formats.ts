/** Browser-side readers for the file viewers: MRC/CCP4 volumes and (extended) XYZ atomic models. */

export interface ParsedVolume {
  data: Float32Array;
  /** [nz, ny, nx] after binning */
  shape: [number, number, number];
  voxelSizeA: number;
  binning: number;
}

/** Voxel budget of a volume shown from a file (256³). */
export const MAX_FILE_VOXELS = 256 * 256 * 256;

/** Decode base64 (as JupyterLab's contents API returns binary files) to bytes. */
export function base64ToBytes(b64: string): Uint8Array {
  const bin = atob(b64.replace(/\s/g, ''));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function half(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

/**
 * Parse an MRC2014 file (modes 0, 1, 2, 6, 12), binning by block mean to at most `maxVoxels`.
 * Throws an Error naming the problem for truncated or unsupported files.
 */
export function parseMrc(bytes: Uint8Array, maxVoxels = MAX_FILE_VOXELS): ParsedVolume {
  if (bytes.length < 1024) throw new Error(`MRC file too short: ${bytes.length} bytes, the header alone is 1024`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const little = !(dv.getUint8(212) === 0x11);
  const i32 = (o: number): number => dv.getInt32(o, little);
  const [nx, ny, nz, mode] = [i32(0), i32(4), i32(8), i32(12)];
  const mx = i32(28) || nx;
  const xlen = dv.getFloat32(40, little);
  const nsymbt = i32(92);
  if (!(nx > 0 && ny > 0 && nz > 0)) throw new Error(`MRC header: bad dimensions ${nx}×${ny}×${nz}`);
  const size: Record<number, number> = { 0: 1, 1: 2, 2: 4, 6: 2, 12: 2 };
  if (!(mode in size)) throw new Error(`MRC mode ${mode} is not supported (0, 1, 2, 6, 12 are)`);
  const off = 1024 + Math.max(0, nsymbt);
  const n = nx * ny * nz;
  if (bytes.length < off + n * size[mode]) throw new Error(`MRC data truncated: need ${off + n * size[mode]} bytes, file has ${bytes.length}`);
  const read = (i: number): number => {
    const o = off + i * size[mode];
    switch (mode) {
      case 0: return dv.getInt8(o);
      case 1: return dv.getInt16(o, little);
      case 2: return dv.getFloat32(o, little);
      case 6: return dv.getUint16(o, little);
      default: return half(dv.getUint16(o, little));
    }
  };
  let b = 1;
  while (Math.ceil(nx / b) * Math.ceil(ny / b) * Math.ceil(nz / b) > maxVoxels) b++;
  const [ox, oy, oz] = [Math.ceil(nx / b), Math.ceil(ny / b), Math.ceil(nz / b)];
  const sum = new Float32Array(ox * oy * oz);
  const cnt = new Uint16Array(ox * oy * oz);
  let i = 0;
  for (let k = 0; k < nz; k++)
    for (let j = 0; j < ny; j++)
      for (let x = 0; x < nx; x++, i++) {
        const t = (((k / b) | 0) * oy + ((j / b) | 0)) * ox + ((x / b) | 0);
        sum[t] += read(i);
        cnt[t]++;
      }
  for (let t = 0; t < sum.length; t++) sum[t] /= cnt[t] || 1;
  const voxel = xlen > 0 && mx > 0 ? xlen / mx : 1;
  return { data: sum, shape: [oz, oy, ox], voxelSizeA: voxel * b, binning: b };
}

export interface ParsedAtoms {
  positions: Float32Array;
  species: string[];
  scores: Float32Array;
  scoreName: string;
  comment: string;
}

/** Parse XYZ / extended XYZ (species and positions; the first extra real column becomes the score). */
export function parseXyz(text: string): ParsedAtoms {
  const lines = text.split(/\r?\n/);
  const n = parseInt(lines[0], 10);
  if (!(n >= 0)) throw new Error(`XYZ: first line must be the atom count, got "${lines[0].slice(0, 40)}"`);
  if (lines.length < n + 2) throw new Error(`XYZ: ${n} atoms declared, ${Math.max(0, lines.length - 2)} lines present`);
  const comment = lines[1] ?? '';
  let scoreCol = -1;
  let scoreName = '';
  const m = /Properties=(\S+)/i.exec(comment);
  if (m) {
    const f = m[1].split(':');
    let col = 0;
    for (let p = 0; p + 2 < f.length; p += 3) {
      const [name, type, count] = [f[p], f[p + 1], Number(f[p + 2])];
      if (scoreCol < 0 && type.toUpperCase() === 'R' && name !== 'pos' && count === 1) {
        scoreCol = col;
        scoreName = name;
      }
      col += count;
    }
  }
  const positions = new Float32Array(3 * n);
  const species: string[] = [];
  const scores = new Float32Array(scoreCol >= 0 ? n : 0);
  for (let a = 0; a < n; a++) {
    const t = lines[a + 2].trim().split(/\s+/);
    if (t.length < 4) throw new Error(`XYZ: atom line ${a + 3} has ${t.length} fields, need species x y z`);
    species.push(t[0]);
    for (let c = 0; c < 3; c++) {
      const v = Number(t[c + 1]);
      if (!Number.isFinite(v)) throw new Error(`XYZ: line ${a + 3}: coordinate "${t[c + 1]}" is not a number`);
      positions[3 * a + c] = v;
    }
    if (scoreCol >= 0) scores[a] = Number(t[scoreCol]);
  }
  return { positions, species, scores, scoreName, comment };
}
