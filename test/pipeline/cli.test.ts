/**
 * The `pann` command line as a user runs it (the built bin/pann.js in a child process): simulate → run →
 * evaluate on files, the output contract of `pann run`, and clear errors for bad input.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { validateDocument } from '../../kernel-lib/src/schema/validate';
import { readAtomicModel, readVolume, writeNpy } from '../../kernel-lib/src/io';
import { formatRunSummary } from '../../kernel-lib/src/cli/summary-text';

const bin = path.resolve(__dirname, '../../kernel-lib/bin/pann.js');
const pann = (...args: string[]) => spawnSync(process.execPath, [bin, '--quiet', ...args], { encoding: 'utf8', timeout: 300_000 });

let dir: string;
beforeAll(() => {
  if (!fs.existsSync(path.resolve(__dirname, '../../kernel-lib/dist/cli/pann.js'))) throw new Error('build first: npm run build');
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pann-cli-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('pann CLI', () => {
  it('simulate → run → evaluate writes the documented outputs', () => {
    const sim = pann('simulate', '--preset', 'pt-highdose', '--total-dose', '1e5', '--seed', '1', '--out', path.join(dir, 'sim'));
    expect(sim.status).toBe(0);
    for (const f of ['tilts.npy', 'angles.npy', 'truth.xyz', 'simulation.json']) expect(fs.existsSync(path.join(dir, 'sim', f))).toBe(true);
    const simDoc = JSON.parse(sim.stdout);
    const run = pann('run', '--tilts', path.join(dir, 'sim/tilts.npy'), '--angles', path.join(dir, 'sim/angles.npy'), '--pixel-size', String(simDoc.pixelSizeA),
      '--species', 'Pt', '--out', path.join(dir, 'run'), '--truth', path.join(dir, 'sim/truth.xyz'), '--iterations', '10');
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const summary = JSON.parse(fs.readFileSync(path.join(dir, 'run/summary.json'), 'utf8'));
    expect(() => validateDocument('summary', summary)).not.toThrow();
    expect(JSON.parse(run.stdout)).toEqual(summary);
    const atoms = readAtomicModel(path.join(dir, 'run/atoms.xyz'));
    expect(atoms.species.length).toBe(summary.counts.atoms);
    expect(readAtomicModel(path.join(dir, 'run/atoms.csv')).species.length).toBe(summary.counts.atoms);
    expect(readVolume(path.join(dir, 'run/reconstruction.mrc')).shape).toEqual([64, 64, 64]);
    expect(summary.metrics.recoveryRate).toBeGreaterThan(0.95);
    expect(summary.rFactor).toBeGreaterThan(0);
    expect(summary.rFactor).toBeLessThan(0.5);
    for (const stage of ['read', 'reconstruct', 'refine', 'trace', 'classify', 'rFactor', 'write']) expect(summary.stageTimesS[stage]).toBeGreaterThanOrEqual(0);
    // GLARE is the default refinement: the volume the atoms were traced in is written beside the reconstruction
    expect(summary.outputs.refined).toBe(path.join(dir, 'run/refined.mrc'));
    expect(readVolume(summary.outputs.refined).shape).toEqual([64, 64, 64]);
    const ev = pann('evaluate', '--pred', path.join(dir, 'run/atoms.xyz'), '--truth', path.join(dir, 'sim/truth.xyz'));
    expect(ev.status).toBe(0);
    expect(JSON.parse(ev.stdout).recoveryRate).toBeCloseTo(summary.metrics.recoveryRate, 10);
  });

  it('accepts --config FILE.json with flags overriding it, and rejects an unknown field by name', () => {
    const cfg = path.join(dir, 'cfg.json');
    fs.writeFileSync(cfg, JSON.stringify({ pixelSizeA: 0.7, species: ['Pt'], pixelSize: 3 }));
    const bad = pann('run', '--config', cfg, '--tilts', 'x.npy', '--angles', 'a.txt', '--out', dir);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/pixelSize.*cfg\.json/);
  });

  it('names both files and counts when angles and projections disagree, and writes nothing', () => {
    const tilts = path.join(dir, 'bad-tilts.npy');
    writeNpy(tilts, new Float32Array(3 * 8 * 8), [3, 8, 8]);
    const angles = path.join(dir, 'angles4.txt');
    fs.writeFileSync(angles, '-30\n-10\n10\n30\n');
    const out = path.join(dir, 'never');
    const r = pann('run', '--tilts', tilts, '--angles', angles, '--pixel-size', '0.5', '--out', out);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/4.*3|3.*4/);
    expect(r.stderr).toContain('angles4.txt');
    expect(r.stderr).toContain('bad-tilts.npy');
    expect(fs.existsSync(out)).toBe(false);
  });

  it('the atoms and the misalignment are fitted to the tilt series by default: a misaligned series gets its error back and is realigned and traced again; --no-fit-positions keeps the traced ones', () => {
    // pt-icosahedron is 'realistic': every projection misaligned by σ 0.2 Å per axis
    const sim = pann('simulate', '--preset', 'pt-icosahedron', '--total-dose', '1e5', '--seed', '3', '--out', path.join(dir, 'sim-fit'));
    expect(sim.status).toBe(0);
    const px = String(JSON.parse(sim.stdout).pixelSizeA);
    // the vacant-site step off: this is about the fit and realigning
    const run = (out: string, ...extra: string[]) =>
      spawnSync(process.execPath, [bin, 'run', '--tilts', path.join(dir, 'sim-fit/tilts.npy'), '--angles', path.join(dir, 'sim-fit/angles.npy'), '--pixel-size', px,
        '--species', 'Pt', '--out', path.join(dir, out), '--truth', path.join(dir, 'sim-fit/truth.xyz'), '--no-fill-vacant-sites', ...extra], { encoding: 'utf8', timeout: 300_000 });
    const plain = run('run-traced', '--no-fit-positions');
    // one pass: the fit starts from the very atoms the plain run kept
    const fitted = run('run-fitted', '--realign', 'never');
    expect(plain.status).toBe(0);
    expect(fitted.status).toBe(0);
    const [a, b] = ['run-traced', 'run-fitted'].map((d) => JSON.parse(fs.readFileSync(path.join(dir, d, 'summary.json'), 'utf8')));
    expect(a.positionFit).toBeUndefined();
    expect(a.options.fitPositions).toBe(false);
    expect(a.stageTimesS.fit).toBeUndefined();
    expect(b.stageTimesS.fit).toBeGreaterThan(0);
    // the misalignment found is the one applied (σ 0.2 Å per axis)
    expect(b.positionFit.misalignmentRmsA).toBeGreaterThan(0.14);
    expect(b.positionFit.misalignmentRmsA).toBeLessThan(0.26);
    expect(fitted.stderr).toMatch(/misalignment found \d+ pm RMS/);
    expect(b.positionFit.realigned).toBe(false);
    expect(b.stageTimesS.realign).toBeUndefined();
    // the same atoms closer to the truth (measured 16.4 → 10.2 pm); the support cut (default 0.3) only drops ghosts here
    expect(b.metrics.recoveryRate).toBeGreaterThanOrEqual(a.metrics.recoveryRate);
    expect(b.metrics.falsePositiveRate).toBeLessThanOrEqual(a.metrics.falsePositiveRate);
    expect(b.counts.atoms).toBe(a.counts.atoms - b.positionFit.unsupportedDropped);
    expect(b.metrics.rmsePm).toBeLessThan(0.8 * a.metrics.rmsePm);
    // the default (realign 'auto'): that misalignment stands far above its noise, so the series was
    // shifted back and traced again, from a sharper start
    const realigned = run('run-realigned');
    expect(realigned.status).toBe(0);
    const c = JSON.parse(fs.readFileSync(path.join(dir, 'run-realigned', 'summary.json'), 'utf8'));
    expect(b.positionFit.misalignmentZ2).toBeGreaterThan(10);
    expect(c.positionFit.realigned).toBe(true);
    expect(c.stageTimesS.realign).toBeGreaterThan(0);
    expect(realigned.stderr).toMatch(/series realigned from a first fit and traced again/);
    expect(c.metrics.recoveryRate).toBeGreaterThanOrEqual(b.metrics.recoveryRate);
    expect(c.metrics.rmsePm).toBeLessThan(b.metrics.rmsePm);
    // the cut needs the fit: asked for without it, it is refused by name before any work
    const alone = run('run-cut-alone', '--no-fit-positions', '--min-support', '0.3');
    expect(alone.status).toBe(2);
    expect(alone.stderr).toMatch(/minSupport.*fitPositions/);
    expect(fs.existsSync(path.join(dir, 'run-cut-alone'))).toBe(false);
  }, 300_000); // four runs of the pipeline, one with a second pass

  it('the neighbour prior is on by default, --no-neighbour-prior turns it off, summary.json says whether it acted; asked for without the fit it is refused by name', () => {
    const sim = pann('simulate', '--preset', 'pt-highdose', '--total-dose', '1e5', '--seed', '2', '--out', path.join(dir, 'sim-np'));
    expect(sim.status).toBe(0);
    const px = String(JSON.parse(sim.stdout).pixelSizeA);
    const args = ['run', '--tilts', path.join(dir, 'sim-np/tilts.npy'), '--angles', path.join(dir, 'sim-np/angles.npy'), '--pixel-size', px, '--species', 'Pt', '--realign', 'never'];
    const on = pann(...args, '--out', path.join(dir, 'run-np'));
    expect(on.status).toBe(0);
    const summary = JSON.parse(fs.readFileSync(path.join(dir, 'run-np/summary.json'), 'utf8'));
    expect(() => validateDocument('summary', summary)).not.toThrow();
    // a Pt cuboctahedron is fcc: the bright atoms sit within a few pm of their neighbours' midpoints
    expect(summary.positionFit.neighbourPriorA).toBeGreaterThan(0);
    expect(summary.positionFit.neighbourPriorA).toBeLessThanOrEqual(0.15);
    const off = pann(...args, '--out', path.join(dir, 'run-np-off'), '--no-neighbour-prior');
    expect(off.status).toBe(0);
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'run-np-off/summary.json'), 'utf8')).options.neighbourPrior).toBe(false);
    expect(JSON.parse(off.stdout).positionFit.neighbourPriorA).toBeNull();
    // the lattice sites: looked for by default; --no-fill-vacant-sites: not looked for, the first fit's atoms stand
    const { proposed, kept } = summary.positionFit.vacantSites;
    expect(kept).toBeLessThanOrEqual(proposed);
    const noSites = pann(...args, '--out', path.join(dir, 'run-np-nosites'), '--no-fill-vacant-sites');
    expect(noSites.status).toBe(0);
    const noSitesSummary = JSON.parse(fs.readFileSync(path.join(dir, 'run-np-nosites/summary.json'), 'utf8'));
    expect(noSitesSummary.options.fillVacantSites).toBe(false);
    expect(noSitesSummary.positionFit.vacantSites).toBeNull();
    expect(noSitesSummary.counts.atoms).toBe(summary.counts.atoms - kept);
    const alone = pann(...args, '--out', path.join(dir, 'run-np-alone'), '--neighbour-prior', '--no-fit-positions');
    expect(alone.status).toBe(2);
    expect(alone.stderr).toMatch(/neighbourPrior.*fitPositions/);
    expect(fs.existsSync(path.join(dir, 'run-np-alone'))).toBe(false);
  }, 300_000);

  it('by default the empty lattice sites are proposed after the fit, those the data support kept (candidate −1 in atoms.csv) and counted in summary.json; --fill-vacant-sites without the fit is refused by name', () => {
    const sim = pann('simulate', '--preset', 'fept-lowdose', '--total-dose', '1e4', '--seed', '1', '--out', path.join(dir, 'sim-vs'));
    expect(sim.status).toBe(0);
    const px = String(JSON.parse(sim.stdout).pixelSizeA);
    const args = ['run', '--tilts', path.join(dir, 'sim-vs/tilts.npy'), '--angles', path.join(dir, 'sim-vs/angles.npy'), '--pixel-size', px, '--species', 'Fe,Pt', '--realign', 'never'];
    const on = pann(...args, '--out', path.join(dir, 'run-vs'));
    expect(on.status).toBe(0);
    const summary = JSON.parse(fs.readFileSync(path.join(dir, 'run-vs/summary.json'), 'utf8'));
    expect(() => validateDocument('summary', summary)).not.toThrow();
    expect(summary.options.fillVacantSites).toBeUndefined(); // not asked for: the default acts
    // at 1e4 e⁻/Å² the tracing misses Fe atoms inside the L1₀ lattice: sites are proposed and some kept
    const { proposed, kept } = summary.positionFit.vacantSites;
    expect(proposed).toBeGreaterThan(0);
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThanOrEqual(proposed);
    expect(summary.stageTimesS.fillVacantSites).toBeGreaterThan(0);
    expect(formatRunSummary(summary)).toContain(`${proposed} empty lattice sites proposed, ${kept} kept`); // the stderr summary (--quiet here)
    const rows = fs.readFileSync(path.join(dir, 'run-vs/atoms.csv'), 'utf8').trim().split('\n');
    const col = rows[0].split(',').indexOf('candidate');
    expect(rows.slice(1).filter((r) => Number(r.split(',')[col]) === -1)).toHaveLength(kept);
    expect(rows.length - 1).toBe(summary.counts.atoms);
    const alone = pann(...args, '--out', path.join(dir, 'run-vs-alone'), '--fill-vacant-sites', '--no-fit-positions');
    expect(alone.status).toBe(2);
    expect(alone.stderr).toMatch(/fillVacantSites.*fitPositions/);
    expect(fs.existsSync(path.join(dir, 'run-vs-alone'))).toBe(false);
  }, 300_000);

  it('--refine glare writes the refined volume; --refine-flips averages the 8 mirror images', () => {
    const sim = pann('simulate', '--preset', 'pt-highdose', '--total-dose', '1e4', '--seed', '2', '--out', path.join(dir, 'sim-r'));
    expect(sim.status).toBe(0);
    const px = String(JSON.parse(sim.stdout).pixelSizeA);
    const run = (out: string, ...extra: string[]) =>
      pann('run', '--tilts', path.join(dir, 'sim-r/tilts.npy'), '--angles', path.join(dir, 'sim-r/angles.npy'), '--pixel-size', px,
        '--species', 'Pt', '--iterations', '10', '--refine', 'glare', '--out', path.join(dir, out), ...extra);
    const plain = run('run-glare');
    expect(plain.stderr).toBe('');
    expect(plain.status).toBe(0);
    // --threshold refined: the calibrated cut of the network output (≤ 0.3 × Pt's height 1), not the adaptive one
    const refinedCut = run('run-glare-refined-cut', '--threshold', 'refined');
    expect(refinedCut.status).toBe(0);
    const cut = (d: string) => JSON.parse(fs.readFileSync(path.join(dir, d, 'summary.json'), 'utf8')).threshold;
    expect(cut('run-glare-refined-cut')).toBeGreaterThan(0);
    expect(cut('run-glare-refined-cut')).toBeLessThanOrEqual(0.3);
    expect(cut('run-glare-refined-cut')).not.toBeCloseTo(cut('run-glare'), 6);
    const flips = run('run-glare-flips', '--refine-flips');
    expect(flips.status).toBe(0);
    const vols = ['run-glare', 'run-glare-flips'].map((d) => {
      const summary = JSON.parse(fs.readFileSync(path.join(dir, d, 'summary.json'), 'utf8'));
      expect(summary.outputs.refined).toBe(path.join(dir, d, 'refined.mrc'));
      expect(summary.stageTimesS.refine).toBeGreaterThan(0);
      const v = readVolume(summary.outputs.refined);
      expect(v.shape).toEqual([64, 64, 64]);
      expect(v.data.reduce((m, x) => Math.min(m, x), Infinity)).toBeGreaterThanOrEqual(0);
      return { summary, v };
    });
    expect(vols[1].summary.options.refineFlips).toBe(true);
    const [a, b] = [vols[0].v.data, vols[1].v.data];
    const peak = a.reduce((m, x) => Math.max(m, x), 0);
    expect(peak).toBeGreaterThan(0.5); // atomic-volume units: ≈ 1 per Pt atom
    let diff = 0;
    for (let i = 0; i < a.length; i++) diff = Math.max(diff, Math.abs(a[i] - b[i]));
    expect(diff).toBeGreaterThan(1e-3 * peak);
    // --refine none is the classical pipeline: no refinement stage, no refined.mrc (the reconstruction is what was traced)
    const none = run('run-none', '--refine', 'none');
    expect(none.status).toBe(0);
    const noneSummary = JSON.parse(fs.readFileSync(path.join(dir, 'run-none/summary.json'), 'utf8'));
    expect(noneSummary.stageTimesS.refine).toBeUndefined();
    expect(noneSummary.outputs.refined).toBeUndefined();
    expect(fs.existsSync(path.join(dir, 'run-none/refined.mrc'))).toBe(false);
    // the calibrated cut needs a network output
    const bad = run('run-none-refined-cut', '--refine', 'none', '--threshold', 'refined');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/threshold 'refined' cuts a refined volume/);
  });

  it('demo: the metric table of the default pipeline names every stage it ran, the fit included', () => {
    const r = pann('demo', '--doses', '1e5');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('RESIRE → GLARE → trace → fit to the tilt series → k-means (fitted brightness)');
    expect(r.stdout).toMatch(/\| realigned \|/);
    const row = r.stdout.split('\n').find((l) => l.startsWith('| fept-lowdose @ 1e+5'));
    // | label | true | pred | matched | recovery | …: at 1e5 the default pipeline finds most of the 727 atoms
    const recovery = parseFloat(row!.split('|')[5]);
    expect(recovery).toBeGreaterThan(90);
  });

  it('refuses a missing required option with a message naming it', () => {
    const r = pann('run', '--tilts', 'a.npy', '--angles', 'b.txt', '--out', dir);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--pixel-size/);
  });
});
