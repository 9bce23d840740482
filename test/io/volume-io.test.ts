import * as fs from 'node:fs';
import * as path from 'node:path';
import { createRng } from '../../kernel-lib/src/core/rng';
import type { Volume } from '../../kernel-lib/src/core/types';
import { readVolume, writeVolume } from '../../kernel-lib/src/io/volume-io';
import { writeNpy } from '../../kernel-lib/src/io/npy';
import { buildTiff, expectPannError, matDoubleMatrix, matFile, tempDir } from './helpers';

const SHAPE: [number, number, number] = [4, 5, 6];

function volume(seed: number): Volume {
  const rng = createRng(seed);
  return { data: Float32Array.from({ length: 120 }, () => rng.normal()), shape: SHAPE, voxelSizeA: 0.25 };
}

describe('readVolume / writeVolume', () => {
  it.each(['.mrc', '.npy'])('round-trips through %s', (ext) => {
    const { dir, cleanup } = tempDir();
    try {
      const v = volume(1);
      const file = path.join(dir, 'v' + ext);
      writeVolume(file, v);
      const back = readVolume(file, ext === '.npy' ? { voxelSizeA: 0.25 } : {});
      expect(back.shape).toEqual(SHAPE);
      expect(back.data).toEqual(v.data);
      expect(back.voxelSizeA).toBeCloseTo(0.25, 6);
      expect(back.warnings).toEqual([]);
    } finally {
      cleanup();
    }
  });

  it('reads .mat (dim 1 → x, dim 2 → y, dim 3 → z) and .tif (page → z); warns when no voxel size is known', () => {
    const { dir, cleanup } = tempDir();
    try {
      const [nz, ny, nx] = SHAPE;
      // value = 100 z + 10 y + x, MATLAB element (x, y, z) at x + nx·(y + ny·z)
      const vals: number[] = [];
      for (let z = 0; z < nz; z++) for (let y = 0; y < ny; y++) for (let x = 0; x < nx; x++) vals.push(100 * z + 10 * y + x);
      fs.writeFileSync(path.join(dir, 'v.mat'), matFile([matDoubleMatrix('rec', [nx, ny, nz], vals)]));
      const m = readVolume(path.join(dir, 'v.mat'));
      expect(m.shape).toEqual(SHAPE);
      expect(m.data[(2 * ny + 3) * nx + 4]).toBe(234);
      expect(m.voxelSizeA).toBe(1);
      expect(m.warnings.join()).toMatch(/no voxel size.*1 Å/);
      const pages = Array.from({ length: nz }, (_, z) => Float32Array.from(vals.slice(z * ny * nx, (z + 1) * ny * nx)));
      fs.writeFileSync(path.join(dir, 'v.tif'), buildTiff(pages, ny, nx, 'uint16'));
      const t = readVolume(path.join(dir, 'v.tif'), { voxelSizeA: 0.5 });
      expect(Array.from(t.data)).toEqual(vals);
      expect(t.voxelSizeA).toBe(0.5);
    } finally {
      cleanup();
    }
  });

  it('rejects NaN/Inf on write and on read, naming the file and the index', () => {
    const { dir, cleanup } = tempDir();
    try {
      const v = volume(2);
      v.data[(3 * 5 + 1) * 6 + 2] = NaN;
      const file = path.join(dir, 'bad.mrc');
      expectPannError(() => writeVolume(file, v), 'VALUE', /volume contains NaN/, /flat index 98/, /\(3, 1, 2\)/, /bad\.mrc/);
      expect(fs.existsSync(file)).toBe(false);
      writeNpy(path.join(dir, 'bad.npy'), v.data, SHAPE);
      expectPannError(() => readVolume(path.join(dir, 'bad.npy'), { voxelSizeA: 1 }), 'VALUE', /NaN/, /\(3, 1, 2\)/, /bad\.npy/);
    } finally {
      cleanup();
    }
  });

  it('rejects wrong dimensionality, shape mismatches and unknown extensions', () => {
    const { dir, cleanup } = tempDir();
    try {
      writeNpy(path.join(dir, 'flat.npy'), new Float32Array(6), [2, 3]);
      expectPannError(() => readVolume(path.join(dir, 'flat.npy')), 'SHAPE', /3D \[nz, ny, nx\]/, /\(2, 3\)/);
      expectPannError(() => writeVolume(path.join(dir, 'v.mrc'), { data: new Float32Array(5), shape: [1, 2, 3], voxelSizeA: 1 }), 'SHAPE', /length 5/);
      expectPannError(() => writeVolume(path.join(dir, 'v.h5'), volume(3)), 'FORMAT', /'\.h5'/);
      expectPannError(() => readVolume(path.join(dir, 'v.npy'), { voxelSizeA: -1 }), 'OPTION', /voxelSizeA must be a positive/);
    } finally {
      cleanup();
    }
  });
});
