/**
 * The `pann` command line: the same stages as the notebook API, on files.
 * stdout carries one JSON document per command (machine-readable); progress bars and the human summary go
 * to stderr. Exit code 0 on success, 2 on bad input (PannError), 1 on anything else.
 */
import { Command, Option } from 'commander';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PannError } from '../core/errors';
import { terminalProgress } from './progress-bar';
import { runOnFiles, loadTiltSeries, packageVersion, type RunFilesOptions } from '../pipeline/run-files';
import { runDemo } from '../pipeline/demo';
import { simulate, listPresets } from '../sim';
import { writeNpy, readVolume, writeVolume, readAtomicModel, writeAtomicModel } from '../io';
import { reconstructDetailed } from '../recon/reconstruct';
import { traceAtoms, selectAtoms, autoThreshold } from '../trace';
import { classifyKMeans } from '../classify';
import { classifyDast } from '../classify/dast';
import { evaluate } from '../metrics';
import { validateDocument } from '../schema/validate';
import { formatRunSummary } from './summary-text';

const num = (v: string) => {
  const x = Number(v);
  if (!Number.isFinite(x)) throw new PannError('OPTION', `'${v}' is not a number`);
  return x;
};
const list = (v: string) => v.split(',').map((s) => s.trim()).filter(Boolean);
/** "Fe:1,Pt:3" → { Fe: 1, Pt: 3 } */
const parseComposition = (v: string): Record<string, number> =>
  Object.fromEntries(
    list(v).map((kv) => {
      const [k, x] = kv.split(':');
      const n = Number(x);
      if (!k || !(n >= 0)) throw new PannError('OPTION', `--composition expects Element:amount pairs like Fe:1,Pt:1, got '${kv}'`, { field: 'composition' });
      return [k.trim(), n];
    }),
  );

function emit(doc: unknown): void {
  process.stdout.write(JSON.stringify(doc, null, 2) + '\n');
}

/** Reads `--config FILE.json` (validated) and lets explicit flags override it. */
function mergeConfig<T extends object>(configPath: string | undefined, flags: T, cmd: Command): T {
  if (!configPath) return flags;
  let doc: unknown;
  try {
    doc = JSON.parse(fs.readFileSync(configPath, 'utf8'));
  } catch (e) {
    throw new PannError('FORMAT', `cannot read the configuration: ${(e as Error).message}`, { file: configPath });
  }
  validateDocument('pipeline-config', doc, configPath);
  const merged: Record<string, unknown> = { ...(doc as object) };
  for (const [k, v] of Object.entries(flags)) {
    if (v !== undefined && cmd.getOptionValueSource(k) !== 'default') merged[k] = v;
    else if (merged[k] === undefined && v !== undefined) merged[k] = v;
  }
  return merged as T;
}

/** `--refine` of `pann run` and `pann demo` (the default, GLARE, is applied by runPipeline). */
const refineOption = (): Option => new Option('--refine <method>', "volume refinement before tracing (default glare; 'none': the classical pipeline)").choices(['none', 'glare', 'unet']);

export function buildProgram(): Command {
  const program = new Command('pann')
    .description('Low-dose atomic electron tomography: simulate, reconstruct, trace, classify, evaluate.')
    .version(packageVersion())
    .option('-q, --quiet', 'no progress bars or human summary on stderr');

  program
    .command('run')
    .description('all stages end to end on a measured tilt series; writes atoms.xyz, atoms.csv, reconstruction.mrc, refined.mrc (unless --refine none), summary.json')
    .option('--tilts <file>', 'tilt series (.mrc, .npy, .tif, .mat) [nAngles, ny, nx]; see docs/formats.md')
    .option('--tilts-var <name>', 'variable name in a .mat tilt-series file')
    .option('--angles <file>', 'angles: one tilt (°) per line, or ZYZ Euler triples (°); .txt/.csv/.npy/.mat')
    .option('--angles-var <name>', 'variable name in a .mat angle file')
    .option('--pixel-size <A>', 'pixel size in Å', num)
    .option('--out <dir>', 'output folder')
    .option('--species <list>', 'element symbols, e.g. Fe,Pt', list)
    .addOption(new Option('--classify <method>', 'species classifier').choices(['kmeans', 'dast']))
    .addOption(refineOption())
    .addOption(new Option('--background <method>', 'per-projection background removal').choices(['border-median', 'none']))
    .addOption(new Option('--align <method>', 'tilt-series pre-alignment').choices(['none', 'centre-of-mass', 'cross-correlation']))
    .addOption(new Option('--method <method>', 'reconstruction algorithm').choices(['resire', 'sirt', 'wbp']))
    .option('--iterations <n>', 'reconstruction iterations', num)
    .option('--refine-model <dir>', 'folder of refinement weights (default: the shipped models/glare or models/unet)')
    .option('--refine-flips', 'average the refinement over the 8 mirror images of the volume (8x the refinement time)')
    .option('--fit-positions', "fit the traced atoms' positions and each projection's misalignment to the tilt series before classifying (the default)")
    .option('--no-fit-positions', 'keep the traced positions (no fit to the tilt series; faster)')
    .addOption(new Option('--realign <when>', "after the fit: shift each projection back by the misalignment the fit found, then reconstruct, refine, trace and fit again (about twice the time): 'auto' when the shifts are significant (default), 'always', 'never'").choices(['auto', 'always', 'never']))
    .option('--neighbour-prior', "fit: also pull each atom toward the midpoints of its opposite nearest neighbours (crystals: light atoms borrow precision from heavy neighbours; off by itself on amorphous particles; the default)")
    .option('--no-neighbour-prior', 'fit: without the neighbour prior (the data and the traced positions only)')
    .option('--fill-vacant-sites', 'after the fit and the support cut: propose the lattice sites the kept atoms leave empty, fit them to the tilt series and keep those the data support (crystals; a second fit; the default)')
    .option('--no-fill-vacant-sites', 'keep the traced atoms the fit supports; no lattice sites proposed (no second fit)')
    .option('--min-support <fraction>', "after the fit: drop atoms fainter in the fit than this fraction of the lightest species' expected brightness (default 0.3 with --species, else 0; 0 keeps all)", num)
    .option('--min-separation <A>', 'minimum distance between atoms, Å', num)
    .option('--threshold <value>', "peak threshold (volume units), 'auto' (adaptive) or 'refined' (with --refine glare|unet: 0.3 × the lightest species' calibrated peak height)")
    .option('--composition <list>', 'DAST: known composition to rebalance predictions, e.g. Fe:1,Pt:1', parseComposition)
    .option('--truth <file>', 'ground-truth atomic model to evaluate against (.xyz, .csv, .txt)')
    .option('--r-match <A>', 'matching radius for the evaluation, Å', num)
    .addOption(new Option('--truth-frame <frame>', "truth positions in the volume frame, or centred on the rotation centre ('auto' decides)").choices(['auto', 'volume', 'centred', 'matlab-centred']))
    .option('--seed <n>', 'random seed', num)
    .option('--config <file>', 'JSON configuration (schema/pipeline-config.schema.json); flags override it')
    .action(async (o, cmd: Command) => {
      const flags: RunFilesOptions = {
        tilts: o.tilts, tiltsVar: o.tiltsVar, angles: o.angles, anglesVar: o.anglesVar, pixelSizeA: o.pixelSize, out: o.out,
        species: o.species, composition: o.composition, classify: o.classify, refine: o.refine, refineModelDir: o.refineModel, refineFlips: o.refineFlips, fitPositions: o.fitPositions, neighbourPrior: o.neighbourPrior, fillVacantSites: o.fillVacantSites, realign: o.realign, minSupport: o.minSupport, background: o.background, align: o.align, truth: o.truth, truthFrame: o.truthFrame, rMatchA: o.rMatch, seed: o.seed,
        reconstruction: o.method || o.iterations ? { method: o.method, iterations: o.iterations } : undefined,
        trace: o.minSeparation || o.threshold ? { minSeparationA: o.minSeparation, threshold: o.threshold === undefined || o.threshold === 'auto' || o.threshold === 'refined' ? o.threshold : num(o.threshold) } : undefined,
      };
      const opts = stripUndefined(mergeConfig(o.config, flags, cmd));
      for (const [k, flag] of [['tilts', '--tilts'], ['angles', '--angles'], ['pixelSizeA', '--pixel-size'], ['out', '--out']] as const) {
        if (opts[k] === undefined) throw new PannError('OPTION', `missing ${flag} (or '${k}' in --config)`, { field: k });
      }
      const quiet = program.opts().quiet;
      const progress = terminalProgress(quiet);
      const { summary } = await runOnFiles(opts, progress);
      progress.stop();
      if (!quiet) process.stderr.write(formatRunSummary(summary));
      emit(summary);
    });

  program
    .command('simulate')
    .description('simulate a particle and its tilt series; writes tilts.npy, angles.npy, truth.xyz, simulation.json')
    .option('--preset <name>', `preset (${listPresets().map((p) => p.name).join(', ')})`, 'fept-lowdose')
    .option('--total-dose <e-per-A2>', 'total dose of the series, e⁻/Å²', num)
    .option('--seed <n>', 'random seed', num, 0)
    .option('--out <dir>', 'output folder')
    .action(async (o) => {
      if (!o.out) throw new PannError('OPTION', 'missing --out DIR', { field: 'out' });
      const progress = terminalProgress(program.opts().quiet);
      const sim = await simulate({ preset: o.preset, totalDoseEPerA2: o.totalDose, seed: o.seed, onProgress: progress });
      fs.mkdirSync(o.out, { recursive: true });
      const angles = new Float64Array(sim.tilts.anglesDeg.flat());
      writeNpy(path.join(o.out, 'tilts.npy'), sim.tilts.data, [...sim.tilts.shape]);
      writeNpy(path.join(o.out, 'angles.npy'), angles, [sim.tilts.anglesDeg.length, 3]);
      writeAtomicModel(path.join(o.out, 'truth.xyz'), sim.truth);
      const doc = { ...sim.options, pixelSizeA: sim.tilts.pixelSizeA, totalDoseEPerA2: sim.tilts.totalDoseEPerA2, nAtoms: sim.truth.species.length, tiltShape: sim.tilts.shape };
      fs.writeFileSync(path.join(o.out, 'simulation.json'), JSON.stringify(doc, null, 2) + '\n');
      emit({ out: o.out, files: ['tilts.npy', 'angles.npy', 'truth.xyz', 'simulation.json'], ...doc });
    });

  program
    .command('train')
    .description("train a network on simulated data (resumable): 'glare', 'unet' or 'both' (volume refinement), 'dast' (species); `pann train NET --help` lists the options")
    .argument('<net>', 'glare | unet | both | dast')
    .allowUnknownOption()
    .allowExcessArguments()
    .helpOption(false)
    .action(async (net: string, _o: unknown, cmd: Command) => {
      const rest = cmd.args.slice(1);
      if (net === 'glare' || net === 'unet' || net === 'both') {
        const { trainCommandBuilder } = require('../refine') as typeof import('../refine');
        const sub = trainCommandBuilder();
        sub.exitOverride();
        await sub.parseAsync([net, ...rest], { from: 'user' });
        return;
      }
      if (net === 'dast') {
        const { trainCommand } = require('../classify/dast') as typeof import('../classify/dast');
        const sub = trainCommand();
        sub.exitOverride();
        await sub.parseAsync(rest, { from: 'user' });
        return;
      }
      throw new PannError('OPTION', `pann train: unknown network '${net}' (expected glare, unet, both or dast)`, { field: 'net' });
    });

  program
    .command('kernel-install')
    .description('install the "TypeScript (pann-aet)" Jupyter kernel (tslab with widget comms)')
    .option('--user', 'into the per-user Jupyter folder (default when not root)')
    .option('--prefix <dir>', 'into DIR/share/jupyter/kernels')
    .action((o) => {
      const { installKernelSpec } = require('../kernel/kernelspec') as typeof import('../kernel/kernelspec');
      const user = o.user ?? (!o.prefix && process.getuid?.() !== 0);
      emit({ installed: installKernelSpec({ user, prefix: o.prefix }) });
    });

  program
    .command('presets')
    .description('list the simulation presets')
    .action(() => emit(listPresets()));

  program
    .command('reconstruct')
    .description('reconstruct a tilt series; writes reconstruction.mrc')
    .requiredOption('--tilts <file>', 'tilt series file')
    .option('--tilts-var <name>', 'variable name in a .mat file')
    .requiredOption('--angles <file>', 'angle file')
    .option('--angles-var <name>', 'variable name in a .mat file')
    .option('--pixel-size <A>', 'pixel size in Å', num)
    .addOption(new Option('--method <method>', 'algorithm').choices(['resire', 'sirt', 'wbp']).default('resire'))
    .option('--iterations <n>', 'iterations', num)
    .requiredOption('--out <dir>', 'output folder')
    .action(async (o) => {
      const tilts = loadTiltSeries({ tilts: o.tilts, tiltsVar: o.tiltsVar, angles: o.angles, anglesVar: o.anglesVar, pixelSizeA: o.pixelSize });
      const progress = terminalProgress(program.opts().quiet);
      const rec = await reconstructDetailed(tilts, { method: o.method, iterations: o.iterations, onProgress: progress });
      fs.mkdirSync(o.out, { recursive: true });
      const file = path.join(o.out, 'reconstruction.mrc');
      writeVolume(file, rec.volume);
      emit({ reconstruction: file, shape: rec.volume.shape, voxelSizeA: rec.volume.voxelSizeA, iterations: rec.iterations, finalError: rec.errorHistory.at(-1) });
    });

  program
    .command('trace')
    .description('trace atoms in a volume; writes candidates.csv (every candidate with scores) and atoms.xyz')
    .requiredOption('--volume <file>', 'volume (.mrc, .npy, .mat)')
    .option('--voxel-size <A>', 'voxel size in Å (needed for .npy/.mat)', num)
    .option('--min-separation <A>', 'minimum distance between atoms, Å', num)
    .option('--smoothing <A>', 'Gaussian pre-smoothing σ, Å', num)
    .option('--threshold <value>', "peak threshold or 'auto'", 'auto')
    .requiredOption('--out <dir>', 'output folder')
    .action(async (o) => {
      const volume = readVolume(o.volume, { voxelSizeA: o.voxelSize });
      const trace = await traceAtoms(volume, { minSeparationA: o.minSeparation, smoothingSigmaA: o.smoothing, onProgress: terminalProgress(program.opts().quiet) });
      const threshold = o.threshold === 'auto' ? autoThreshold(trace) : num(o.threshold);
      const atoms = selectAtoms(trace, { threshold });
      const all = selectAtoms(trace, { threshold: -Number.MAX_VALUE });
      fs.mkdirSync(o.out, { recursive: true });
      writeAtomicModel(path.join(o.out, 'candidates.csv'), all);
      writeAtomicModel(path.join(o.out, 'atoms.xyz'), atoms);
      emit({ candidates: trace.peak.length, atoms: atoms.species.length, threshold, files: ['candidates.csv', 'atoms.xyz'].map((f) => path.join(o.out, f)) });
    });

  program
    .command('classify')
    .description('assign species to traced atoms; writes classified.xyz and classified.csv')
    .requiredOption('--atoms <file>', 'atomic model (.xyz, .csv)')
    .requiredOption('--volume <file>', 'the volume the atoms were traced in')
    .option('--voxel-size <A>', 'voxel size in Å (needed for .npy/.mat)', num)
    .requiredOption('--species <list>', 'element symbols, e.g. Fe,Pt', list)
    .addOption(new Option('--method <method>', 'classifier').choices(['kmeans', 'dast']).default('kmeans'))
    .option('--composition <list>', 'DAST: known composition, e.g. Fe:1,Pt:1', parseComposition)
    .option('--seed <n>', 'random seed', num, 0)
    .requiredOption('--out <dir>', 'output folder')
    .action(async (o) => {
      const model = readAtomicModel(o.atoms);
      const volume = readVolume(o.volume, { voxelSizeA: o.voxelSize });
      const out =
        o.method === 'dast'
          ? await classifyDast(model, volume, { species: o.species, composition: o.composition, onProgress: terminalProgress(program.opts().quiet) })
          : classifyKMeans(model, volume, { species: o.species, seed: o.seed });
      fs.mkdirSync(o.out, { recursive: true });
      writeAtomicModel(path.join(o.out, 'classified.xyz'), out);
      writeAtomicModel(path.join(o.out, 'classified.csv'), out);
      const counts: Record<string, number> = {};
      for (const s of out.species) counts[s] = (counts[s] ?? 0) + 1;
      emit({ atoms: out.species.length, bySpecies: counts });
    });

  program
    .command('evaluate')
    .description('compare a traced model with a ground truth; prints the metrics as JSON')
    .requiredOption('--pred <file>', 'predicted atomic model')
    .requiredOption('--truth <file>', 'ground-truth atomic model')
    .option('--r-match <A>', 'matching radius, Å', num)
    .action((o) => {
      emit(evaluate(readAtomicModel(o.pred), readAtomicModel(o.truth), { rMatchA: o.rMatch }));
    });

  program
    .command('demo')
    .description('the end-to-end demo: a simulated low-dose FePt particle through every stage, with the metric table')
    .option('--preset <name>', 'simulation preset', 'fept-lowdose')
    .option('--doses <list>', 'total doses, e⁻/Å²', (v) => list(v).map(num))
    .option('--seed <n>', 'random seed', num, 0)
    .addOption(refineOption())
    .option('--no-fit-positions', 'keep the traced positions (no fit to the tilt series)')
    .action(async (o) => {
      const quiet = program.opts().quiet;
      const pipeline = stripUndefined({ refine: o.refine, fitPositions: o.fitPositions === false ? false : undefined });
      const report = await runDemo({ preset: o.preset, dosesEPerA2: o.doses, seed: o.seed, pipeline, onProgress: terminalProgress(quiet), log: quiet ? () => undefined : (s) => process.stderr.write(s) });
      process.stdout.write(report.table + '\n');
    });

  return program;
}

function stripUndefined<T extends object>(o: T): T {
  return JSON.parse(JSON.stringify(o)) as T;
}

/** Entry point of bin/pann.js. */
export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  program.exitOverride();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    const e = err as { code?: string; exitCode?: number; message?: string };
    if (typeof e.code === 'string' && e.code.startsWith('commander.')) {
      process.exitCode = e.exitCode ?? 2;
      return;
    }
    if (err instanceof PannError) {
      process.stderr.write(`pann: error: ${err.message}\n`);
      process.exitCode = 2;
      return;
    }
    process.stderr.write(`pann: unexpected error: ${(err as Error).stack ?? err}\n`);
    process.exitCode = 1;
  }
}
