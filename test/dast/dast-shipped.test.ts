/** @jest-environment ./test/engine/ort-env.js */
/**
 * The shipped DAST weights (models/dast) load and classify small fixed simulated FePt cases — traced as
 * pipeline/run.ts traces them:
 * - at 1e4 e⁻/Å² to the goal of ≥ 97 % species accuracy. On this simulator k-means is not "well
 *   below" there (99.60 % on this case, DAST 99.01 %), so no margin is asserted at 1e4;
 * - at 5e3 e⁻/Å², where k-means falls below 97 %, DAST beats it. Margin measured with the shipped weights
 *   on seeds 900001–900005 at 3e3 and 5e3 (10 particles, none trained on): DAST ahead on all 10, by
 *   +0.42 to +3.1 points (`npm run bench -- dast-margin`, bench/results/dast-margin.md); the test asserts
 *   the smallest measured margin, +0.4 points, on seed 900001 at 5e3.
 * Also: tfjs and ONNX Runtime give the same species with the shipped weights, and a composition prior
 * makes the predicted counts match it.
 */
import { classifyDast } from '../../kernel-lib/src/classify/dast/classify';
import { defaultModelDir, loadDastModel } from '../../kernel-lib/src/classify/dast/model-store';
import {
  simulateAndTrace,
  LABEL_MATCH_RADIUS_A,
  type DastScenario,
} from '../../kernel-lib/src/classify/dast/dataset';
import { classifyKMeans } from '../../kernel-lib/src/classify/kmeans';
import { matchAtoms } from '../../kernel-lib/src/metrics/match';
import type { AtomicModel } from '../../kernel-lib/src/core/types';

// Seed 900001 is outside the training seeds (0–160, 100000–100160).
const scenario: DastScenario = {
  name: 'fept-test',
  seed: 900001,
  composition: { Fe: 0.5, Pt: 0.5 },
  ordering: 'L10',
  amorphous: false,
  shape: 'truncated-octahedron',
  diameterA: 30,
  totalDoseEPerA2: 1e4,
  noiseModel: 'realistic',
  recon: { method: 'resire', iterations: 20 },
  preset: 'fept-lowdose',
};

function accuracy(pred: AtomicModel, truth: AtomicModel, m: ReturnType<typeof matchAtoms>): number {
  let ok = 0;
  for (let t = 0; t < m.predIndex.length; t++)
    if (pred.species[m.predIndex[t]] === truth.species[m.truthIndex[t]]) ok++;
  return ok / m.predIndex.length;
}

describe('shipped DAST weights', () => {
  it('load, with the architecture and training record', async () => {
    const model = await loadDastModel(defaultModelDir());
    expect(model.config.kind).toBe('dast');
    expect(model.config.net.layers).toBeGreaterThan(0);
    expect(model.config.training?.command).toBeTruthy();
  });

  it('classify a fixed FePt case at 1e4 e⁻/Å² to ≥ 97 % species accuracy (k-means printed beside), the same in tfjs and ORT', async () => {
    const { truth, volume, atoms } = await simulateAndTrace(scenario);
    const m = matchAtoms(atoms, truth, { rMatchA: LABEL_MATCH_RADIUS_A });
    expect(m.predIndex.length).toBeGreaterThan(200);
    const species = ['Fe', 'Pt'];
    const km = classifyKMeans(atoms, volume, { species });
    const dast = await classifyDast(atoms, volume, { species });
    const accKm = accuracy(km, truth, m);
    const accDast = accuracy(dast, truth, m);
    console.log(
      `FePt 1e4, ${m.predIndex.length} matched atoms: k-means ${(100 * accKm).toFixed(2)} %, DAST ${(100 * accDast).toFixed(2)} %, margin ${(100 * (accDast - accKm)).toFixed(2)} points`,
    );
    expect(accDast).toBeGreaterThanOrEqual(0.97);
    expect(dast.probabilities?.labels).toEqual(['Fe', 'Pt']);
    expect(dast.scores?.dastScore?.length).toBe(atoms.species.length);

    const viaOrt = await classifyDast(atoms, volume, { species, engine: 'ort' });
    let same = 0;
    for (let a = 0; a < atoms.species.length; a++) if (viaOrt.species[a] === dast.species[a]) same++;
    expect(same / atoms.species.length).toBeGreaterThan(0.995);

    const withPrior = await classifyDast(atoms, volume, { species, composition: { Fe: 1, Pt: 1 } });
    // The prior applies to real atoms: expected counts weighted by 1 − ghost probability (floored at 0.02).
    let fe = 0,
      tot = 0;
    const p = withPrior.probabilities!.values;
    const g = withPrior.scores!.dastGhostProbability!;
    for (let a = 0; a < atoms.species.length; a++) {
      const w = Math.max(0.02, 1 - g[a]);
      fe += w * p[2 * a];
      tot += w;
    }
    expect(fe / tot).toBeCloseTo(0.5, 2);
  }, 90000);

  it('beat k-means on a fixed FePt case at 5e3 e⁻/Å² by at least the smallest measured margin (+0.4 points)', async () => {
    const { truth, volume, atoms } = await simulateAndTrace({ ...scenario, totalDoseEPerA2: 5e3 });
    const m = matchAtoms(atoms, truth, { rMatchA: LABEL_MATCH_RADIUS_A });
    expect(m.predIndex.length).toBeGreaterThan(200);
    const species = ['Fe', 'Pt'];
    const accKm = accuracy(classifyKMeans(atoms, volume, { species }), truth, m);
    const accDast = accuracy(await classifyDast(atoms, volume, { species }), truth, m);
    console.log(
      `FePt 5e3, ${m.predIndex.length} matched atoms: k-means ${(100 * accKm).toFixed(2)} %, DAST ${(100 * accDast).toFixed(2)} %, margin ${(100 * (accDast - accKm)).toFixed(2)} points`,
    );
    expect(accKm).toBeLessThan(0.97);
    expect(accDast - accKm).toBeGreaterThanOrEqual(0.004);
  }, 90000);
});
