/**
 * The classical pipeline end to end on simulated data with ground truth (issue 2's acceptance tests):
 * high dose over the full tilt range must trace ≥ 99 % of the atoms within 10 pm RMSE; the same seed gives
 * the same result; a full run leaves no TensorFlow.js tensor behind.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { simulate } from '../../kernel-lib/src/sim';
import { runPipeline, REALIGN_MIN_Z2 } from '../../kernel-lib/src/pipeline/run';
import { misalignmentCorrectionsA, misalignmentZ2 } from '../../kernel-lib/src/trace';
import { shiftTiltSeries } from '../../kernel-lib/src/recon/align';
import { evaluate } from '../../kernel-lib/src/metrics';
import { PipelineSession } from '../../kernel-lib/src/session/stages';

describe('classical pipeline on a simulated Pt particle', () => {
  it('traces ≥ 99 % of the atoms within 10 pm at 1e6 e⁻/Å² over ±90°', async () => {
    const sim = await simulate({ preset: 'pt-highdose', seed: 3 });
    expect(sim.tilts.anglesDeg[0][1]).toBeLessThanOrEqual(-87);
    // the classical pipeline: no refinement, the traced positions kept
    const res = await runPipeline(sim.tilts, { species: ['Pt'], refine: 'none', fitPositions: false, rFactor: false });
    expect(res.positionFit).toBeNull();
    const m = evaluate(res.atoms, sim.truth);
    expect(m.recoveryRate).toBeGreaterThanOrEqual(0.99);
    expect(m.falsePositiveRate).toBeLessThanOrEqual(0.01);
    expect(m.rmsePm).toBeLessThanOrEqual(10);
    expect(m.speciesAccuracy).toBe(1);
  });

  it('gives the same atoms for the same seed, and a different particle for another seed (with the default fit to the tilts)', async () => {
    const run = async (seed: number, fillVacantSites?: boolean) => {
      const sim = await simulate({ preset: 'fept-lowdose', totalDoseEPerA2: 1e5, seed });
      const res = await runPipeline(sim.tilts, { species: ['Fe', 'Pt'], seed, refine: 'none', reconstruction: { iterations: 10 }, rFactor: false, fillVacantSites });
      expect(res.positionFit).not.toBeNull();
      // k-means labelled the atoms from the brightness the fit gave them, not from the volume
      expect(Array.from(res.atoms.scores!.classFeature)).toEqual(Array.from(res.atoms.scores!.fittedBrightness));
      expect(evaluate(res.atoms, sim.truth).speciesAccuracy).toBeGreaterThan(0.95);
      return res.atoms;
    };
    const a = await run(1);
    const b = await run(1);
    expect(b.species).toEqual(a.species);
    expect(Array.from(b.positionsA)).toEqual(Array.from(a.positionsA));
    const c = await run(2, false); // only needs to differ: spared the vacant-site step's second fit
    expect(Array.from(c.positionsA)).not.toEqual(Array.from(a.positionsA));
  }, 1_200_000); // three whole runs with the fit (24 iterations on the raw reconstruction's atoms), two with the vacant-site step's second fit: 356 s alone on 2 cores before that step; 744 s as here beside another test run

  it('session: fitPositions moves the selected atoms onto the tilt series and keeps the traced ones', async () => {
    const s = new PipelineSession();
    await s.simulate({ preset: 'pt-icosahedron', totalDoseEPerA2: 1e5, seed: 3 }); // misaligned ('realistic')
    s.background();
    await s.reconstruct();
    await s.trace();
    s.select();
    const traced = s.atoms('atoms');
    // realigning needs a fit first
    expect(() => s.realign()).toThrow(/no result named 'positionFit'/);
    const fit = await s.fitPositions();
    expect(s.atoms('atomsTraced')).toBe(traced);
    expect(s.atoms('atoms')).toBe(fit.model);
    expect(s.get('positionFit')).toBe(fit);
    expect(fit.projectionShiftA).toHaveLength(2 * s.tilts().shape[0]);
    const before = evaluate(traced, s.atoms('truth'));
    const after = s.evaluate({}, 'atoms');
    expect(after.nMatched).toBeGreaterThanOrEqual(before.nMatched);
    expect(after.rmsePm).toBeLessThan(0.8 * before.rmsePm);
    expect(Math.sqrt(fit.projectionShiftA.reduce((a, x) => a + x * x, 0) / fit.projectionShiftA.length)).toBeGreaterThan(0.14); // Å; applied σ 0.2
    // the support cut drops atoms only: what it keeps is a subset of the fitted atoms, at the fitted places
    const kept = s.keepSupported({ species: ['Pt'] });
    expect(s.atoms('atomsFitted')).toBe(fit.model);
    expect(kept.species.length).toBeLessThanOrEqual(fit.model.species.length);
    expect(s.evaluate({}, 'atoms').falsePositiveRate).toBeLessThanOrEqual(after.falsePositiveRate);
    // realign: the series shifted back by what the fit found, stored beside the measured one
    const realigned = s.realign();
    expect(s.tilts('tiltsRealigned')).toBe(realigned);
    expect(realigned.data).toEqual(shiftTiltSeries(s.tilts(), misalignmentCorrectionsA(fit)).data);
    expect(realigned.data).not.toEqual(s.tilts().data);
  }, 300_000); // one fit of the raw reconstruction's atoms (24 iterations): 73 s alone on 2 cores

  it('the fit cuts unsupported atoms only when the species are named (an unnamed light element would go)', async () => {
    const sim = await simulate({ preset: 'fept-lowdose', totalDoseEPerA2: 1e5, seed: 1 });
    const run = (species?: string[]) => runPipeline(sim.tilts, { refine: 'none', rFactor: false, ...(species ? { species } : {}) });
    const unnamed = await run();
    expect(unnamed.unsupportedDropped).toBe(0);
    expect(unnamed.positionFit).not.toBeNull();
    // told "Pt" only, the Fe of FePt are judged against Pt and most go (measured: 324 dropped, 359 Fe)
    const ptOnly = await run(['Pt']);
    const nFe = sim.truth.species.filter((x) => x === 'Fe').length;
    expect(ptOnly.unsupportedDropped).toBeGreaterThan(0.5 * nFe);
    // the empty lattice sites are only looked for where the cut can judge them: not without named species
    expect(unnamed.vacantSites).toBeNull();
    expect(ptOnly.vacantSites).not.toBeNull();
    expect(ptOnly.atoms.species.length).toBe(unnamed.atoms.species.length - ptOnly.unsupportedDropped + ptOnly.vacantSites!.kept);
    await expect(runPipeline(sim.tilts, { refine: 'none', fillVacantSites: true })).rejects.toThrow(/fillVacantSites.*needs the cut.*species/);
  }, 900_000); // two whole runs with the fit (24 iterations), one with the vacant-site step's second fit: 263 s alone on 2 cores without it, 439 s with it beside a benchmark

  it("realign 'auto' traces a misaligned series again after shifting it back, and leaves an aligned one alone", async () => {
    // pt-icosahedron is 'realistic' (misaligned by σ 0.2 Å per axis); the same particle with shot noise only is not misaligned
    // the vacant-site step off: this is about realigning (its figures below were measured without it)
    const opts = { species: ['Pt'], refine: 'none', rFactor: false, fillVacantSites: false } as const;
    const misaligned = await simulate({ preset: 'pt-icosahedron', totalDoseEPerA2: 1e5, seed: 3 });
    const once = await runPipeline(misaligned.tilts, { ...opts, realign: 'never' });
    const auto = await runPipeline(misaligned.tilts, opts);
    expect(once.realignment).toBeNull();
    expect(auto.realignment).not.toBeNull();
    const first = auto.realignment!.firstPassFit;
    expect(misalignmentZ2(first)).toBeGreaterThan(REALIGN_MIN_Z2); // measured 107
    expect(auto.realignment!.correctionsA).toEqual(misalignmentCorrectionsA(first));
    expect(auto.stageTimesS.realign).toBeGreaterThan(0);
    // the same first pass, then a sharper start: measured 11.7 → 10.5 pm at the same recovery (99.6 %)
    expect(Array.from(first.model.positionsA)).toEqual(Array.from(once.positionFit!.model.positionsA));
    const [m1, m2] = [once, auto].map((r) => evaluate(r.atoms, misaligned.truth));
    expect(m2.recoveryRate).toBeGreaterThanOrEqual(m1.recoveryRate);
    expect(m2.falsePositiveRate).toBeLessThanOrEqual(m1.falsePositiveRate);
    expect(m2.rmsePm).toBeLessThan(0.93 * m1.rmsePm);
    // aligned: the fitted shifts are noise (measured z² 0.40), so 'auto' keeps the single pass
    const aligned = await simulate({ preset: 'pt-icosahedron', totalDoseEPerA2: 1e5, seed: 3, noiseModel: 'poisson' });
    const alone = await runPipeline(aligned.tilts, opts);
    expect(alone.realignment).toBeNull();
    expect(misalignmentZ2(alone.positionFit!)).toBeLessThan(3);
    expect(alone.stageTimesS.realign).toBeUndefined();
    // asked for what cannot be done, refused by name before any work
    await expect(runPipeline(aligned.tilts, { ...opts, realign: 'always', fitPositions: false })).rejects.toThrow(/realign 'always'.*needs fitPositions/);
    await expect(runPipeline(aligned.tilts, { ...opts, realign: 'sometimes' as never })).rejects.toThrow(/realign must be 'auto', 'always' or 'never', got 'sometimes'/);
  }, 600_000); // three whole runs with the fit (24 iterations), one of them twice: 254 s alone on 2 cores

  it('leaves no tensor behind across a full session run', async () => {
    await tf.setBackend('cpu');
    const before = tf.memory().numTensors;
    const s = new PipelineSession();
    await s.simulate({ preset: 'pt-highdose', totalDoseEPerA2: 1e5, seed: 0 });
    await s.reconstruct({ iterations: 5 });
    await s.trace();
    s.select();
    await s.classify({ species: ['Pt'] });
    const m = s.evaluate();
    expect(m.nMatched).toBeGreaterThan(0);
    expect(s.memory().totalBytes).toBeGreaterThan(64 * 64 * 64 * 4);
    s.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
