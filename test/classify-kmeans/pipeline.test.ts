import { traceAtoms, selectAtoms } from '../../kernel-lib/src/trace';
import { classifyKMeans } from '../../kernel-lib/src/classify';
import { evaluate } from '../../kernel-lib/src/metrics';
import { createRng } from '../../kernel-lib/src/core/rng';
import { fccParticle, renderVolume } from '../trace/synthetic';

test('the automatic threshold keeps a light species (Fe with Pt, peaks 0.155×) in a clean volume', async () => {
  const truth = fccParticle(3.85, 8, [10.8, 10.8, 10.8], 'Pt', 7);
  const rng = createRng(7);
  truth.species = truth.species.map(() => (rng.uniform() < 0.5 ? 'Fe' : 'Pt'));
  const vol = renderVolume(truth, [54, 54, 54], 0.4, {
    sigmaA: 0.5,
    weightBySpecies: { Fe: (26 / 78) ** 1.7, Pt: 1 },
  });
  const model = classifyKMeans(selectAtoms(await traceAtoms(vol)), vol, { species: ['Fe', 'Pt'], seed: 2 });
  const m = evaluate(model, truth);
  expect(m).toMatchObject({ recoveryRate: 1, falsePositiveRate: 0, speciesAccuracy: 1 });
});

test('trace → k-means → evaluate on a noisy binary alloy recovers positions and species', async () => {
  const truth = fccParticle(3.85, 8, [10.8, 10.8, 10.8], 'Pt', 6);
  const rng = createRng(6);
  truth.species = truth.species.map(() => (rng.uniform() < 0.5 ? 'Pd' : 'Pt'));
  // HAADF contrast ∝ Z^1.7: Pd (46) is ~0.41 of Pt (78).
  const weights = { Pd: (46 / 78) ** 1.7, Pt: 1 };
  const vol = renderVolume(truth, [54, 54, 54], 0.4, {
    sigmaA: 0.5,
    weightBySpecies: weights,
    noise: 0.08,
    seed: 3,
  });
  const traced = selectAtoms(await traceAtoms(vol));
  const model = classifyKMeans(traced, vol, { species: ['Pt', 'Pd'], seed: 1 });
  const m = evaluate(model, truth);
  expect(m.recoveryRate).toBe(1);
  expect(m.falsePositiveRate).toBe(0);
  expect(m.rmsePm).toBeLessThan(6);
  expect(m.speciesAccuracy).toBeGreaterThan(0.97);
  expect(m.perSpecies.Pd.nTrue).toBeGreaterThan(20);
});
