import { simulate } from '../../kernel-lib/src/sim';
import { reconstructDetailed } from '../../kernel-lib/src/recon/reconstruct';
import { traceAtoms } from '../../kernel-lib/src/trace';
import { classifyKMeans } from '../../kernel-lib/src/classify';
import { selectAtoms } from '../../kernel-lib/src/trace';

describe('traceAtoms near the border', () => {
  it('keeps every refined centre inside the volume, so later stages can sample around it', async () => {
    // An under-iterated reconstruction has streaks reaching the faces of the volume; the Gaussian fit of a
    // maximum one voxel from a face once placed a candidate 0.3 voxel outside (seed 0 below), which then
    // broke k-means ("atom lies outside the volume").
    const sim = await simulate({ preset: 'pt-highdose', totalDoseEPerA2: 1e5, seed: 0 });
    const rec = await reconstructDetailed(sim.tilts, { iterations: 5, threads: 0 });
    const tr = await traceAtoms(rec.volume);
    const [nz, ny, nx] = rec.volume.shape;
    const lim = [nx - 1, ny - 1, nz - 1].map((m) => m * rec.volume.voxelSizeA);
    let outside = 0;
    for (let c = 0; c < tr.peak.length; c++) for (let d = 0; d < 3; d++) if (tr.positionsA[3 * c + d] < 0 || tr.positionsA[3 * c + d] > lim[d]) outside++;
    expect(outside).toBe(0);
    const all = selectAtoms(tr, { threshold: -Number.MAX_VALUE });
    expect(() => classifyKMeans(all, rec.volume, { species: ['Pt'] })).not.toThrow();
  });
});
