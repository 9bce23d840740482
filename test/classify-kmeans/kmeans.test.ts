import { classifyKMeans, kmeans1D } from '../../kernel-lib/src/classify';
import { PannError } from '../../kernel-lib/src/core/errors';
import { createRng } from '../../kernel-lib/src/core/rng';
import type { AtomicModel } from '../../kernel-lib/src/core/types';
import { fccParticle, renderVolume } from '../trace/synthetic';

/** fcc particle with a seeded random half Pt (weight 78^1.7) and half Fe (26^1.7). */
function alloy(seed: number): AtomicModel {
  const m = fccParticle(3.8, 7, [9.6, 9.6, 9.6], 'Pt', seed);
  const rng = createRng(seed);
  m.species = m.species.map(() => (rng.uniform() < 0.5 ? 'Fe' : 'Pt'));
  return m;
}
const weights = { Fe: 26 ** 1.7 / 78 ** 1.7, Pt: 1 };

describe('classifyKMeans', () => {
  const truth = alloy(4);
  const vol = renderVolume(truth, [48, 48, 48], 0.4, {
    sigmaA: 0.5,
    weightBySpecies: weights,
    noise: 0.03,
    seed: 9,
  });
  const unlabeled: AtomicModel = { positionsA: truth.positionsA, species: truth.species.map(() => 'X') };

  test('separates two intensity populations and maps the brighter to the heavier element, in any list order', () => {
    for (const species of [
      ['Pt', 'Fe'],
      ['Fe', 'Pt'],
    ]) {
      for (const feature of ['integrated', 'peak'] as const) {
        const out = classifyKMeans(unlabeled, vol, { species, seed: 1, feature });
        const correct = out.species.filter((s, a) => s === truth.species[a]).length;
        expect(correct).toBe(truth.species.length);
        expect(out.probabilities!.labels).toEqual(['Fe', 'Pt']);
        // Probabilities: rows sum to 1; the assigned class is the most probable.
        const P = out.probabilities!.values;
        for (let a = 0; a < out.species.length; a++) {
          expect(P[2 * a] + P[2 * a + 1]).toBeCloseTo(1, 5);
          expect(P[2 * a + (out.species[a] === 'Pt' ? 1 : 0)]).toBeGreaterThan(0.5);
        }
      }
    }
    expect(truth.species.filter((s) => s === 'Fe').length).toBeGreaterThan(10);
    expect(truth.species.filter((s) => s === 'Pt').length).toBeGreaterThan(10);
  });

  test('the same seed gives the same result; probabilities soften with temperature', () => {
    const noisy = renderVolume(truth, [48, 48, 48], 0.4, {
      sigmaA: 0.5,
      weightBySpecies: weights,
      noise: 0.25,
      seed: 2,
    });
    const a = classifyKMeans(unlabeled, noisy, { species: ['Fe', 'Pt'], seed: 3 });
    const b = classifyKMeans(unlabeled, noisy, { species: ['Fe', 'Pt'], seed: 3 });
    expect(a.species).toEqual(b.species);
    const hot = classifyKMeans(unlabeled, noisy, { species: ['Fe', 'Pt'], seed: 3, temperature: 3 });
    const maxP = (v: Float32Array) => {
      let s = 0;
      for (let t = 0; t < v.length; t += 2) s += Math.max(v[t], v[t + 1]);
      return s / (v.length / 2);
    };
    expect(maxP(hot.probabilities!.values)).toBeLessThan(maxP(a.probabilities!.values));
    expect(hot.species).toEqual(a.species);
  });

  test("'fitted' clusters the brightness fitted to the tilt series, not the volume, and needs it", () => {
    // a featureless volume: only the atoms' fitted brightness (Z^1.7 weights, 5 % scatter) tells Fe from Pt
    const flat = renderVolume(truth, [48, 48, 48], 0.4, { sigmaA: 0.5, weightBySpecies: { Fe: 1, Pt: 1 }, noise: 0.03, seed: 9 });
    const rng = createRng(5);
    const brightness = Float64Array.from(truth.species, (s) => weights[s as 'Fe' | 'Pt'] * (1 + 0.05 * rng.normal()));
    const fitted: AtomicModel = { ...unlabeled, scores: { fittedBrightness: brightness } };
    const out = classifyKMeans(fitted, flat, { species: ['Fe', 'Pt'], feature: 'fitted' });
    expect(out.species).toEqual(truth.species);
    expect(Array.from(out.scores!.classFeature)).toEqual(Array.from(brightness));
    // the default for atoms that carry a fitted brightness
    expect(classifyKMeans(fitted, flat, { species: ['Fe', 'Pt'] }).species).toEqual(truth.species);
    const fromVolume = classifyKMeans(fitted, flat, { species: ['Fe', 'Pt'], feature: 'integrated' });
    expect(fromVolume.species.filter((s, a) => s === truth.species[a]).length).toBeLessThan(0.8 * truth.species.length);
    expect(() => classifyKMeans(unlabeled, flat, { species: ['Fe', 'Pt'], feature: 'fitted' })).toThrow(/fitAtomsToTilts.*fittedBrightness/);
    const short: AtomicModel = { ...unlabeled, scores: { fittedBrightness: brightness.slice(1) } };
    expect(() => classifyKMeans(short, flat, { species: ['Fe', 'Pt'], feature: 'fitted' })).toThrow(/fittedBrightness has \d+ values for \d+ atoms/);
  });

  test('one species labels everything with probability 1', () => {
    const out = classifyKMeans(unlabeled, vol, { species: ['Au'] });
    expect(new Set(out.species)).toEqual(new Set(['Au']));
    expect(Array.from(out.probabilities!.values).every((p) => p === 1)).toBe(true);
  });

  test('three well-separated populations map to three elements by Z', () => {
    const x = Float64Array.from([5, 5.1, 1, 1.2, 9, 9.3, 0.9, 5.2, 9.1]);
    const km = kmeans1D(x, 3, { seed: 0 });
    expect(Array.from(km.labels)).toEqual([1, 1, 0, 0, 2, 2, 0, 1, 2]);
    expect(km.centres[0]).toBeCloseTo((1 + 1.2 + 0.9) / 3, 10);
  });

  test('bad inputs: unknown element, k > atoms, empty model, atom outside the volume, duplicates', () => {
    expect(() => classifyKMeans(unlabeled, vol, { species: ['Pt', 'Xx'] })).toThrow(
      /unknown element symbol 'Xx'/,
    );
    const two: AtomicModel = { positionsA: truth.positionsA.slice(0, 6), species: ['X', 'X'] };
    expect(() => classifyKMeans(two, vol, { species: ['Fe', 'Pt', 'Au'] })).toThrow(
      /cannot split 2 atom\(s\) into 3 species/,
    );
    expect(() =>
      classifyKMeans({ positionsA: new Float64Array(0), species: [] }, vol, { species: ['Pt'] }),
    ).toThrow(/empty/);
    const outside: AtomicModel = { positionsA: Float64Array.from([1, 1, 1, 30, 1, 1]), species: ['X', 'X'] };
    expect(() => classifyKMeans(outside, vol, { species: ['Pt'] })).toThrow(
      /atom 1 lies outside the volume: x = 30/,
    );
    expect(() => classifyKMeans(unlabeled, vol, { species: ['Pt', 'Pt'] })).toThrow(PannError);
    expect(() => classifyKMeans(unlabeled, vol, { species: [] })).toThrow(/species/);
  });
});
