/** @jest-environment ./test/engine/ort-env.js */
/**
 * Test-time flip ensemble of the refinement networks: flipVolume on non-cubic volumes, and the
 * ensemble's defining property — mirroring the input (with its tilt range) mirrors the output
 * exactly, which a single pass of a trained network does not do.
 */
import { acquisitionFeatures, mirroredAcquisition } from '../../kernel-lib/src/refine/acquisition';
import { defaultModelDir, loadRefineModel, runRefineNetwork } from '../../kernel-lib/src/refine/infer';
import { flipVolume } from '../../kernel-lib/src/refine/volume-ops';
import { createRng } from '../../kernel-lib/src/core/rng';
import type { EulerZYZDeg, Shape3 } from '../../kernel-lib/src/core/types';

jest.setTimeout(120_000);

const maxAbsDiff = (a: Float32Array, b: Float32Array) =>
  a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
const maxAbs = (a: Float32Array) => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);

test('flipVolume mirrors each axis of a non-cubic volume and is an involution', () => {
  const shape: Shape3 = [2, 3, 4];
  const v = Float32Array.from({ length: 24 }, (_, i) => i);
  const at = (a: Float32Array, k: number, j: number, i: number) => a[(k * 3 + j) * 4 + i];
  for (let mask = 0; mask < 8; mask++) {
    const w = v.slice();
    flipVolume(w, shape, mask);
    for (let k = 0; k < 2; k++)
      for (let j = 0; j < 3; j++)
        for (let i = 0; i < 4; i++)
          expect(at(w, k, j, i)).toBe(
            at(v, mask & 4 ? 1 - k : k, mask & 2 ? 2 - j : j, mask & 1 ? 3 - i : i),
          );
    flipVolume(w, shape, mask);
    expect(Array.from(w)).toEqual(Array.from(v));
  }
});

test('flip ensemble of the shipped GLARE is exactly mirror-equivariant; one pass is not', async () => {
  const model = await loadRefineModel(defaultModelDir('glare'));
  // edges divisible by 4 and within one tile: no padding, so a flip maps the tile onto itself
  const shape: Shape3 = [20, 24, 16];
  const rng = createRng(5);
  const x = new Float32Array(20 * 24 * 16).map(() => Math.max(0, rng.normal()));
  // an asymmetric range (−65…+70°), so mirroring x changes the acquisition features
  const angles: EulerZYZDeg[] = Array.from({ length: 28 }, (_, i) => [0, -65 + 5 * i, 0]);
  const a = acquisitionFeatures(angles, 0.5);
  const mask = 1; // mirror x: θ ↦ −θ
  const xm = x.slice();
  flipVolume(xm, shape, mask);
  const am = mirroredAcquisition(a, mask);
  expect(am[1]).toBeCloseTo(-a[2], 6);

  const run = (v: Float32Array, f: Float32Array, flipEnsemble: boolean) =>
    runRefineNetwork(model, v, shape, { acquisition: f, flipEnsemble });
  const ens = await run(x, a, true);
  const ensMirrored = await run(xm, am, true);
  flipVolume(ensMirrored, shape, mask);
  const one = await run(x, a, false);
  const oneMirrored = await run(xm, am, false);
  flipVolume(oneMirrored, shape, mask);

  const scale = maxAbs(ens);
  expect(scale).toBeGreaterThan(0.05);
  expect(maxAbsDiff(ens, ensMirrored)).toBeLessThan(1e-4 * scale);
  // the single pass is not equivariant (stride-2 down-sampling, learned asymmetries): the ensemble
  // property above is not trivially true of any network
  expect(maxAbsDiff(one, oneMirrored)).toBeGreaterThan(1e-2 * scale);
  // and the ensemble is the mean of the 8 mirrored single passes, so it differs from the plain pass
  expect(maxAbsDiff(ens, one)).toBeGreaterThan(1e-3 * scale);
});
