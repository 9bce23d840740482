/** @jest-environment ./test/engine/ort-env.js */
/**
 * GLARE's acquisition context: the feature vector, its mirror rule under the flip augmentation
 * (checked against the projector itself), and the zero-initialised FiLM heads that make a fresh
 * GLARE start as the plain U-Net.
 */
import * as path from 'path';
import {
  acquisitionFeatures,
  mirroredAcquisition,
  withoutGeometry,
  ACQUISITION_FEATURES,
} from '../../kernel-lib/src/refine/acquisition';
import { trainOutDirs } from '../../kernel-lib/src/refine/cli';
import { buildRefineNetwork, DEFAULT_ARCH, type RefineArch } from '../../kernel-lib/src/refine/model';
import { runRefineNetwork, type RefineModel } from '../../kernel-lib/src/refine/infer';
import { initWeights } from '../../kernel-lib/src/nn/init';
import { flipCube } from '../../kernel-lib/src/refine/volume-ops';
import { Projector } from '../../kernel-lib/src/recon/projector';
import { createRng } from '../../kernel-lib/src/core/rng';
import type { EulerZYZDeg, Shape3 } from '../../kernel-lib/src/core/types';

jest.setTimeout(60_000);

const tilt = (deg: number): EulerZYZDeg => [0, deg, 0];

describe('acquisition features', () => {
  test('single-axis series: range, step and voxel edge', () => {
    const angles = Array.from({ length: 28 }, (_, i) => tilt(-65 + (135 * i) / 27));
    const f = acquisitionFeatures(angles, 0.5);
    expect(f).toHaveLength(ACQUISITION_FEATURES);
    expect(f[0]).toBe(1);
    expect(f[1]).toBeCloseTo(-65 / 90, 6);
    expect(f[2]).toBeCloseTo(70 / 90, 6);
    expect(f[3]).toBeCloseTo(5 / 3, 5); // 5° steps
    expect(f[4]).toBeCloseTo((0.5 - 0.575) / 0.175, 6);
  });

  test('no angles, or not single-axis: geometry unknown, voxel edge kept', () => {
    for (const a of [undefined, [tilt(0)], [[10, 20, 0] as EulerZYZDeg, tilt(30)]]) {
      const f = acquisitionFeatures(a, 0.75);
      expect(Array.from(f.subarray(0, 4))).toEqual([0, 0, 0, 0]);
      expect(f[4]).toBeCloseTo(1, 6);
    }
  });

  test('mirror rule agrees with the projector for every flip mask', () => {
    const e = 13; // odd: the projector rotates about voxel n/2, which a flip maps onto itself only for odd n
    const shape: Shape3 = [e, e, e];
    const rng = createRng(11);
    const v = new Float32Array(e ** 3).map(() => Math.max(0, rng.normal()));
    const thetas = [-50, 35];
    const P = new Projector(shape, thetas.map(tilt), [e, e]);
    const p = P.forward(v);
    const f = acquisitionFeatures(thetas.map(tilt), 0.5);
    for (let mask = 1; mask < 8; mask++) {
      const w = v.slice();
      flipCube(w, e, mask);
      const m = mirroredAcquisition(f, mask);
      const mirroredThetas = [m[1] * 90, m[2] * 90]; // the range [θmin, θmax] of the mirrored volume
      const flipped = (m[1] !== f[1]) as boolean;
      // projection k of the original at θ_k is projection of the mirrored volume at ±θ_k
      const thetasOfW = thetas.map((t) => (flipped ? -t : t));
      expect(Math.min(...thetasOfW)).toBeCloseTo(mirroredThetas[0], 4);
      expect(Math.max(...thetasOfW)).toBeCloseTo(mirroredThetas[1], 4);
      const q = new Projector(shape, thetasOfW.map(tilt), [e, e]).forward(w);
      // and equals the original projection up to detector flips (rows = y, columns = x)
      let err = 0,
        ref = 0;
      for (let k = 0; k < thetas.length; k++)
        for (let j = 0; j < e; j++)
          for (let i = 0; i < e; i++) {
            const js = mask & 2 ? e - 1 - j : j;
            const is = mask & 1 ? e - 1 - i : i;
            err += (q[(k * e + j) * e + i] - p[(k * e + js) * e + is]) ** 2;
            ref += p[(k * e + js) * e + is] ** 2;
          }
      expect(Math.sqrt(err / ref)).toBeLessThan(1e-3);
      if (flipped) {
        // the rule is not vacuous: keeping θ would give a different projection
        const wrong = new Projector(shape, thetas.map(tilt), [e, e]).forward(w);
        let d = 0;
        for (let i = 0; i < wrong.length; i++) d += (wrong[i] - q[i]) ** 2;
        expect(Math.sqrt(d / ref)).toBeGreaterThan(0.05);
      }
    }
  });
});

describe('GLARE with acquisition input', () => {
  const arch: RefineArch = { kind: 'glare', widths: [4, 8, 16], patchEdge: 16, acquisition: true };

  test('the shipped architecture takes volume, global and acquisition', () => {
    expect(DEFAULT_ARCH.glare.acquisition).toBe(true);
    expect(buildRefineNetwork(DEFAULT_ARCH.glare).inputs).toEqual(['volume', 'global', 'acquisition']);
  });

  test('fresh weights: FiLM heads are zero, so the acquisition changes nothing until trained', async () => {
    const net = buildRefineNetwork(arch);
    const model: RefineModel = { arch, net, weights: initWeights(net, 4), info: {} };
    const shape: Shape3 = [16, 16, 16];
    const rng = createRng(12);
    const x = new Float32Array(16 ** 3).map(() => rng.normal());
    const a1 = acquisitionFeatures([-70, 70].map(tilt), 0.5);
    const a2 = acquisitionFeatures([-60, 60].map(tilt), 0.7);
    const y1 = await runRefineNetwork(model, x, shape, { acquisition: a1 });
    const y2 = await runRefineNetwork(model, x, shape, { acquisition: a2 });
    expect(Array.from(y2)).toEqual(Array.from(y1));
    // once the heads are non-zero the acquisition reaches the output
    const g = model.weights['global_gamma/kernel'];
    for (let i = 0; i < g.length; i++) g[i] = 0.2 * rng.normal();
    const z1 = await runRefineNetwork(model, x, shape, { acquisition: a1 });
    const z2 = await runRefineNetwork(model, x, shape, { acquisition: a2 });
    let d = 0;
    for (let i = 0; i < z1.length; i++) d = Math.max(d, Math.abs(z1[i] - z2[i]));
    expect(d).toBeGreaterThan(1e-4);
  });

  test('a wrong-length acquisition vector is refused with the field named', async () => {
    const net = buildRefineNetwork(arch);
    const model: RefineModel = { arch, net, weights: initWeights(net, 4), info: {} };
    await expect(
      runRefineNetwork(model, new Float32Array(16 ** 3), [16, 16, 16], { acquisition: new Float32Array(3) }),
    ).rejects.toThrow(/acquisition has 3 features/);
  });
});

describe('pann train --out', () => {
  test('one network writes to the folder itself, both to one subfolder each (never the shipped models/)', () => {
    expect(trainOutDirs(['glare'], '/tmp/m')).toEqual({ glare: '/tmp/m' });
    expect(trainOutDirs(['glare', 'unet'], '/tmp/m')).toEqual({
      glare: path.join('/tmp/m', 'glare'),
      unet: path.join('/tmp/m', 'unet'),
    });
    expect(trainOutDirs(['glare', 'unet'], undefined)).toBeUndefined();
  });

  test('hiding the geometry keeps the voxel edge', () => {
    const f = acquisitionFeatures([-70, 70].map(tilt), 0.6);
    const h = withoutGeometry(f);
    expect(Array.from(h.subarray(0, 4))).toEqual([0, 0, 0, 0]);
    expect(h[4]).toBe(f[4]);
    expect(f[0]).toBe(1); // the input is not changed
  });
});
