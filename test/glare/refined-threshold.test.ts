/**
 * The cut for refined volumes (refine/threshold.ts): a fraction of the lightest species' calibrated
 * peak height, rescaled by the volume's own strongest-peak level.
 */
import { refinedThreshold, REFINED_CUT_FRACTION } from '../../kernel-lib/src/refine/threshold';
import { targetWeights } from '../../kernel-lib/src/refine/data';
import { renderAtomicVolume } from '../../kernel-lib/src/sim/atomic-volume';
import { traceAtoms, selectAtoms } from '../../kernel-lib/src/trace';
import type { AtomicModel, Volume } from '../../kernel-lib/src/core/types';
import { PipelineSession } from '../../kernel-lib/src/session/stages';

const VOXEL_A = 0.6;
const EDGE = 40;

/** FePt atoms on a 2.4 Å grid (Pt and Fe alternating) as a network would draw them when sure, plus faint ghosts between them. */
function refinedLike(scale: number): { volume: Volume; atoms: AtomicModel; ghosts: number } {
  const pos: number[] = [];
  const species: string[] = [];
  const ghostPos: number[] = [];
  for (let k = 0; k < 4; k++)
    for (let j = 0; j < 4; j++)
      for (let i = 0; i < 4; i++) {
        pos.push(6 + 2.4 * i, 6 + 2.4 * j, 6 + 2.4 * k);
        species.push((i + j + k) % 2 ? 'Fe' : 'Pt');
        if (i < 3 && j < 3 && k < 3) ghostPos.push(7.2 + 2.4 * i, 7.2 + 2.4 * j, 7.2 + 2.4 * k);
      }
  const atoms: AtomicModel = { positionsA: Float64Array.from(pos), species };
  const shape: [number, number, number] = [EDGE, EDGE, EDGE];
  const w = targetWeights(['Fe', 'Pt']);
  const opts = { volumeShape: shape, voxelSizeA: VOXEL_A, sigmaA: 0.8 * VOXEL_A };
  const real = renderAtomicVolume(atoms, { ...opts, weightBySpecies: w });
  // ghosts: the network's "maybe" peaks at P ≈ 0.15 of a Fe atom
  const ghosts = renderAtomicVolume({ positionsA: Float64Array.from(ghostPos), species: ghostPos.filter((_, i) => i % 3 === 0).map(() => 'Fe') }, { ...opts, weightBySpecies: { Fe: 0.15 * w.Fe } });
  const data = real.data.map((v, i) => scale * (v + ghosts.data[i]));
  return { volume: { data, shape, voxelSizeA: VOXEL_A }, atoms, ghosts: ghostPos.length / 3 };
}

test('cuts between the faint ghosts and the lightest species, at f × w_min on a calibrated volume', async () => {
  const { volume, atoms } = refinedLike(1);
  const trace = await traceAtoms(volume, {});
  const t = refinedThreshold(trace, ['Fe', 'Pt']);
  const wFe = targetWeights(['Fe', 'Pt']).Fe;
  expect(t).toBeCloseTo(REFINED_CUT_FRACTION * wFe, 2);
  const kept = selectAtoms(trace, { threshold: t });
  expect(kept.species.length).toBe(atoms.species.length);
});

test('a volume whose strongest peaks stay below 1 gets a proportionally lower cut', async () => {
  const full = refinedThreshold(await traceAtoms(refinedLike(1).volume, {}), ['Fe', 'Pt']);
  const { volume, atoms } = refinedLike(0.3);
  const trace = await traceAtoms(volume, {});
  const t = refinedThreshold(trace, ['Fe', 'Pt']);
  // calibrated: level ≥ 0.5 → not rescaled; at 0.3× the level (≈ 0.17) the cut follows it down
  expect(t / full).toBeGreaterThan(0.25);
  expect(t / full).toBeLessThan(0.45);
  expect(selectAtoms(trace, { threshold: t }).species.length).toBe(atoms.species.length);
});

test('names bad options', async () => {
  const trace = await traceAtoms(refinedLike(1).volume, {});
  expect(() => refinedThreshold(trace, [])).toThrow(/species must name at least one element/);
  expect(() => refinedThreshold(trace, ['Pt'], { fraction: 1.5 })).toThrow(/fraction must be in \(0, 1\), got 1.5/);
});

test("the session's select({ threshold: 'refined' }) uses it, and asks for species", async () => {
  const s = new PipelineSession();
  const { volume, atoms } = refinedLike(1);
  s.set('refined', volume);
  const trace = await s.trace();
  expect(s.select({ threshold: 'refined', species: ['Fe', 'Pt'] }).species.length).toBe(atoms.species.length);
  expect(s.select({ threshold: 'refined', species: ['Fe', 'Pt'] }).scores?.peak.every((p) => p >= refinedThreshold(trace, ['Fe', 'Pt']))).toBe(true);
  expect(() => s.select({ threshold: 'refined' })).toThrow(/needs species/);
  s.dispose();
});
