/**
 * External check on data made outside this project: the published low-dose aSi case (60 projections of a
 * 208-atom amorphous Si particle, test/fixtures/asi-2nm-lowdose, MIT licence). At its highest dose the
 * classical pipeline must find every atom where the ground truth says, through the real file readers;
 * and the fit's neighbour prior, meant for crystals, must not act on it.
 */
import * as path from 'node:path';
import { loadTiltSeries } from '../../kernel-lib/src/pipeline/run-files';
import { runPipeline } from '../../kernel-lib/src/pipeline/run';
import { readAtomicModel } from '../../kernel-lib/src/io';
import { truthInVolumeFrame } from '../../kernel-lib/src/pipeline/truth-frame';
import { evaluate } from '../../kernel-lib/src/metrics';
import { brightScatterA, oppositeNeighbourPairs } from '../../kernel-lib/src/trace/centrosymmetric-prior';
import { DEFAULT_NEIGHBOUR_PRIOR_MAX_A } from '../../kernel-lib/src/trace/fit-to-tilts';

const dir = path.resolve(__dirname, '../fixtures/asi-2nm-lowdose');

it('recovers all 208 aSi atoms at 1.6e5 e⁻/Å² from the published .mat files', async () => {
  const tilts = loadTiltSeries({ tilts: path.join(dir, 'aSi_2nmFosCetr_Dose1p6e5_cov35pm_ForBM3D.mat'), angles: path.join(dir, 'Si_Angle.mat'), pixelSizeA: 0.195 });
  expect(tilts.shape).toEqual([60, 128, 128]);
  const res = await runPipeline(tilts, { species: ['Si'], reconstruction: { method: 'wbp' }, refine: 'none', fitPositions: false, rFactor: false });
  const truth = truthInVolumeFrame(readAtomicModel(path.join(dir, 'aSi_208atoms_GT.txt'), { speciesByType: { 1: 'Si' } }), res.reconstruction.shape, 0.195, 'matlab-centred');
  const m = evaluate(res.atoms, truth);
  expect(m.nTrue).toBe(208);
  expect(m.recoveryRate).toBeGreaterThanOrEqual(0.99);
  expect(m.falsePositiveRate).toBeLessThanOrEqual(0.01);
  expect(m.rmsePm).toBeLessThan(15);
  // the same truth read in the wrong frame matches almost nothing: the frame mapping is what makes it work
  const wrong = evaluate(res.atoms, truthInVolumeFrame(readAtomicModel(path.join(dir, 'aSi_208atoms_GT.txt'), { speciesByType: { 1: 'Si' } }), res.reconstruction.shape, 0.195, 'centred'));
  expect(wrong.recoveryRate).toBeLessThan(0.5);
});

it('the fit’s neighbour prior would not act on the published amorphous particle: its atoms have no lattice of opposite pairs', () => {
  const truth = readAtomicModel(path.join(dir, 'aSi_208atoms_GT.txt'), { speciesByType: { 1: 'Si' } });
  const n = truth.species.length;
  const pairs = oppositeNeighbourPairs(truth.positionsA);
  const paired = Array.from({ length: n }, (_, a) => pairs.start[a + 1] - pairs.start[a]).filter((k) => k >= 2).length;
  // tetrahedral bonding: almost no atom is the centre of two opposite neighbour pairs (a crystal's bulk has six)
  expect(paired).toBeLessThan(10);
  // …so the gate has nothing to read and the prior stays off, however precise the positions
  const scatter = brightScatterA(truth.positionsA, new Float64Array(n).fill(1), pairs, new Float64Array(n).fill(1e-6), 2);
  expect(scatter).toBeGreaterThan(DEFAULT_NEIGHBOUR_PRIOR_MAX_A);
});
