/** keepSupportedAtoms: ghosts the projections do not support are dropped, real atoms of every species kept. */
import { fitAtomsToTilts } from '../../kernel-lib/src/trace/fit-to-tilts';
import { keepSupportedAtoms } from '../../kernel-lib/src/trace/supported-atoms';
import { buildParticle } from '../../kernel-lib/src/sim/particle';
import { simulateTiltSeriesSync, type AcquisitionOptions } from '../../kernel-lib/src/sim/tilt-series';
import { createRng } from '../../kernel-lib/src/core/rng';
import type { AtomicModel, Shape3 } from '../../kernel-lib/src/core/types';

const shape: Shape3 = [40, 40, 40];
const voxel = 0.6;
const acq: AcquisitionOptions = {
  totalDoseEPerA2: 1e4,
  tiltRangeDeg: [-70, 70],
  nAngles: 21,
  pixelSizeA: voxel,
  noiseModel: 'poisson',
};

/** `model` plus `count` ghost atoms inside the particle's box, each ≥ 2.2 Å from every real atom. */
function withGhosts(model: AtomicModel, count: number, seed: number): AtomicModel {
  const rng = createRng(seed);
  const p = model.positionsA;
  const lo = [0, 1, 2].map((a) => Math.min(...Array.from({ length: p.length / 3 }, (_, i) => p[3 * i + a])));
  const hi = [0, 1, 2].map((a) => Math.max(...Array.from({ length: p.length / 3 }, (_, i) => p[3 * i + a])));
  const ghosts: number[] = [];
  while (ghosts.length < 3 * count) {
    const g = [0, 1, 2].map((a) => lo[a] - 2 + (hi[a] - lo[a] + 4) * rng.uniform());
    let far = true;
    for (let i = 0; i < p.length / 3 && far; i++)
      far = Math.hypot(p[3 * i] - g[0], p[3 * i + 1] - g[1], p[3 * i + 2] - g[2]) >= 2.2;
    for (let k = 0; k < ghosts.length / 3 && far; k++)
      far = Math.hypot(ghosts[3 * k] - g[0], ghosts[3 * k + 1] - g[1], ghosts[3 * k + 2] - g[2]) >= 2.2;
    if (far) ghosts.push(...g);
  }
  const positionsA = new Float64Array(p.length + ghosts.length);
  positionsA.set(p);
  positionsA.set(ghosts, p.length);
  return { positionsA, species: [...model.species, ...Array(count).fill('X')] };
}

describe('keepSupportedAtoms', () => {
  it('drops ghosts and keeps every real atom of a pure particle', async () => {
    const truth = buildParticle(
      { species: 'Pt', shape: 'cuboctahedron', diameterA: 15, voxelSizeA: voxel, volumeShape: shape },
      3,
    );
    const tilts = simulateTiltSeriesSync(truth, shape, acq, 1).tilts;
    const traced = withGhosts(truth, 12, 5);
    const fit = await fitAtomsToTilts(traced, tilts, { volumeShape: shape });
    const kept = keepSupportedAtoms(fit.model, fit.amplitude, { species: ['Pt'] });
    const n = truth.species.length;
    expect(Array.from(kept.kept.subarray(0, n)).every((k) => k === 1)).toBe(true);
    expect(Array.from(kept.kept.subarray(n)).filter((k) => k === 1).length).toBeLessThanOrEqual(1);
    expect(kept.model.species.length).toBe(Array.from(kept.kept).filter((k) => k).length);
    expect(kept.cut).toBeGreaterThan(0);
  });

  it('keeps the light atoms of an alloy when the light species is named, not when only the heavy one is', async () => {
    const truth = buildParticle(
      {
        composition: { Fe: 1, Pt: 1 },
        ordering: 'L10',
        shape: 'cuboctahedron',
        diameterA: 15,
        voxelSizeA: voxel,
        volumeShape: shape,
      },
      3,
    );
    const tilts = simulateTiltSeriesSync(truth, shape, { ...acq, totalDoseEPerA2: 1e5 }, 2).tilts;
    const fit = await fitAtomsToTilts(truth, tilts, { volumeShape: shape });
    const fe = truth.species.map((s) => s === 'Fe');
    const keptFe = (k: Uint8Array) => Array.from(k).filter((x, a) => x && fe[a]).length;
    const nFe = fe.filter(Boolean).length;
    expect(nFe).toBeGreaterThan(5);
    expect(keptFe(keepSupportedAtoms(fit.model, fit.amplitude, { species: ['Fe', 'Pt'] }).kept)).toBe(nFe);
    // told to expect Pt only, the cut sits at 0.3 × a Pt atom: Fe atoms ((26/78)^1.7 ≈ 0.15 of Pt) fall under it
    expect(keptFe(keepSupportedAtoms(fit.model, fit.amplitude, { species: ['Pt'] }).kept)).toBeLessThan(
      nFe / 2,
    );
  });

  it('subsets per-atom scores with the atoms, and names bad input', () => {
    const model: AtomicModel = {
      positionsA: Float64Array.from([0, 0, 0, 3, 0, 0, 6, 0, 0]),
      species: ['Pt', 'Pt', 'Pt'],
      scores: { peak: Float64Array.from([1, 2, 3]) },
    };
    const out = keepSupportedAtoms(model, [10, 0.5, 10], { species: ['Pt'] });
    expect(Array.from(out.kept)).toEqual([1, 0, 1]);
    expect(Array.from(out.model.positionsA)).toEqual([0, 0, 0, 6, 0, 0]);
    expect(Array.from(out.model.scores!.peak)).toEqual([1, 3]);
    expect(() => keepSupportedAtoms(model, [1, 2], { species: ['Pt'] })).toThrow(/2 values for 3 atoms/);
    expect(() => keepSupportedAtoms(model, [1, 2, 3], { species: [] })).toThrow(/species/);
    expect(() => keepSupportedAtoms(model, [1, 2, 3], { species: ['Pt'], minFraction: -1 })).toThrow(
      /minFraction/,
    );
  });
});
