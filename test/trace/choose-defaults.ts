/**
 * Measurement behind the default `smoothingSigmaA` of traceAtoms (and a check of `autoThreshold`) (not a test by itself; run it through
 * a throwaway jest file that logs `await measureSmoothing()`).
 */
import { traceAtoms, selectAtoms, otsuSplit } from '../../kernel-lib/src/trace';
import { fccParticle, renderVolume, nearestRmsePm } from './synthetic';

export async function measureSmoothing(): Promise<string[]> {
  const lines: string[] = [];
  const h = 0.4;
  const shape: [number, number, number] = [48, 48, 48];
  const truth = fccParticle(3.92, 7, [9.6, 9.6, 9.6]);
  for (const noise of [0, 0.1, 0.2, 0.3]) {
    const vol = renderVolume(truth, shape, h, { sigmaA: 0.5, noise, seed: 3 });
    for (const smoothingSigmaA of [0, 0.35, 0.4, 0.5]) {
      const tr = await traceAtoms(vol, { smoothingSigmaA });
      const model = selectAtoms(tr);
      const { rmsePm } = nearestRmsePm(truth.positionsA, model.positionsA);
      const eta = otsuSplit(tr.peak.filter((_, c) => tr.suppressedBy[c] === -1)).separability;
      lines.push(
        `eta ${eta.toFixed(3)} ncand ${tr.peak.length} t ${JSON.stringify(tr.timingsMs)} noise ${noise} sigma ${smoothingSigmaA}: n=${model.species.length}/${truth.species.length} rmse ${rmsePm.toFixed(2)} pm`,
      );
    }
  }
  return lines;
}
