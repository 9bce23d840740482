/**
 * External check on data made outside this project: the published low-dose aSi case (60 projections of a
 * 208-atom amorphous Si particle, test/fixtures/asi-2nm-lowdose, MIT licence). At its highest dose the
 * classical pipeline must find every atom where the ground truth says, through the real file readers.
 */
import * as path from 'node:path';
import { loadTiltSeries } from '../../kernel-lib/src/pipeline/run-files';
import { runPipeline } from '../../kernel-lib/src/pipeline/run';
import { readAtomicModel } from '../../kernel-lib/src/io';
import { truthInVolumeFrame } from '../../kernel-lib/src/pipeline/truth-frame';
import { evaluate } from '../../kernel-lib/src/metrics';

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
