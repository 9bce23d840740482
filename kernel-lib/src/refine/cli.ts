/**
 * `pann train glare|unet|both`: trains the refinement networks from the command line (resumable;
 * see training.ts). Prints one line per 10 steps and per validation, optionally also to a log file.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Command } from 'commander';
import { trainRefiners, type PhysicsExposure } from './training';
import { DEFAULT_PHYSICS, type PhysicsWeights } from './physics';
import { PannError } from '../core/errors';
import type { RefineNet } from './model';

/** A commander Command for `train <net>`; mount it with `program.addCommand(trainCommandBuilder())`. */
export function trainCommandBuilder(): Command {
  return new Command('train')
    .description(
      'train the GLARE refinement network and/or the plain U-Net baseline on streamed simulated data (resumable)',
    )
    .argument('<net>', "'glare', 'unet' or 'both' (both on the same data stream, same budget)")
    .option('--steps <n>', 'steps per network', '1500')
    .option('--stop-at <n>', 'stop at this step (the learning-rate schedule still follows --steps)')
    .option('--minutes <m>', 'stop after this much wall time (a checkpoint is written)')
    .option('--batch <n>', 'patches per step', '2')
    .option('--patch <n>', 'patch edge in voxels', '32')
    .option('--widths <list>', 'channels per level, comma separated', '16,32,64')
    .option('--lr <x>', 'Adam step size', '1e-3')
    .option('--seed <n>', 'data and initialisation seed', '0')
    .option('--out <dir>', 'output folder (with both: <dir>/glare and <dir>/unet), default models/<net>')
    .option('--threads <n>', 'ONNX Runtime threads', '2')
    .option(
      '--physics-projection <w>',
      'GLARE: weight of the projection-consistency term (0 turns it off)',
      '0.1',
    )
    .option('--physics-positivity <w>', 'GLARE: weight of the positivity term (0 turns it off)', '0.5')
    .option(
      '--physics-contrast-power <p>',
      'GLARE: project max(V, 0)^p in the consistency term (2 matches HAADF Z^1.7 counts to the target heights (Z/Zmax)^0.85)',
      '1',
    )
    .option(
      '--physics-exposure <which>',
      "GLARE: the consistency term compares with the reconstructed series ('same') or a second, independent simulated exposure ('independent')",
      'same',
    )
    .option(
      '--light-atom-weight <k>',
      'both nets: voxel-loss weight 1 + k on atoms lighter than the particle\'s heaviest species (0: plain MSE)',
      '0',
    )
    .option(
      '--surface-light-weight <s>',
      'both nets: the light-atom weight is 1 + k·(1 + s) on light atoms of the outer surface (0: as the other light atoms)',
      '0',
    )
    .option('--no-resume', 'start from scratch even when a checkpoint exists')
    .option('--log <file>', 'also append log lines to this file')
    .action(async (netArg: string, o: Record<string, string | boolean | undefined>) => {
      const kebab = (k: string): string => k.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());
      await trainCommand([
        netArg,
        ...Object.entries(o).flatMap(([k, v]) => (v === undefined ? [] : [`--${kebab(k)}=${v}`])),
      ]);
    });
}

/** `--physics-exposure`: 'same' (default) or 'independent'. */
function physicsExposure(o: Record<string, string>): PhysicsExposure {
  const v = o['physics-exposure'] ?? 'same';
  if (v !== 'same' && v !== 'independent') throw new PannError('OPTION', `pann train: --physics-exposure must be 'same' or 'independent', got '${v}'`, { field: 'physics-exposure' });
  return v;
}

/** The GLARE physics settings from `--physics-projection` / `--physics-positivity` / `--physics-contrast-power` (defaults where absent). */
function physicsWeights(o: Record<string, string>): PhysicsWeights {
  const power = nonNegative(o, 'physics-contrast-power');
  if (power === 0) throw new PannError('OPTION', `pann train: --physics-contrast-power must be > 0, got '${o['physics-contrast-power']}'`, { field: 'physics-contrast-power' });
  return {
    projection: nonNegative(o, 'physics-projection') ?? DEFAULT_PHYSICS.projection,
    positivity: nonNegative(o, 'physics-positivity') ?? DEFAULT_PHYSICS.positivity,
    ...(power !== undefined ? { contrastPower: power } : {}),
  };
}

/** A `--flag` value that must be a number ≥ 0 (undefined when absent). */
function nonNegative(o: Record<string, string>, flag: string): number | undefined {
  if (o[flag] === undefined) return undefined;
  const v = Number(o[flag]);
  if (!(v >= 0)) throw new PannError('OPTION', `pann train: --${flag} must be a number ≥ 0, got '${o[flag]}'`, { field: flag });
  return v;
}

/**
 * Output folders of `pann train … --out DIR`: DIR itself for one network, DIR/<net> for several —
 * never the shipped models/ (which an ignored --out used to overwrite with `both`).
 */
export function trainOutDirs(
  nets: RefineNet[],
  out: string | undefined,
): Partial<Record<RefineNet, string>> | undefined {
  if (!out) return undefined;
  return nets.length === 1 ? { [nets[0]]: out } : Object.fromEntries(nets.map((n) => [n, path.join(out, n)]));
}

/**
 * Runs `pann train` from its arguments, e.g. `['glare', '--steps=2000', '--minutes=40']`.
 * @returns the training summary
 */
export async function trainCommand(args: string[]): Promise<Awaited<ReturnType<typeof trainRefiners>>> {
  const [netArg, ...rest] = args;
  const nets: RefineNet[] =
    netArg === 'both' ? ['glare', 'unet'] : netArg === 'glare' || netArg === 'unet' ? [netArg] : [];
  if (!nets.length) throw new Error(`pann train: expected glare, unet or both, got '${netArg ?? ''}'`);
  const o: Record<string, string> = {};
  for (const a of rest) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(a);
    if (!m) throw new Error(`pann train: cannot parse argument '${a}'`);
    o[m[1]] = m[2] ?? 'true';
  }
  const logFile = o.log;
  const log = (line: string): void => {
    const l = `${new Date().toISOString()} ${line}`;
    console.log(l);
    if (logFile) fs.appendFileSync(logFile, l + '\n');
  };
  const command = `pann train ${args.join(' ')}`;
  log(`start: ${command}`);
  const res = await trainRefiners({
    nets,
    maxSteps: o.steps ? Number(o.steps) : undefined,
    stopAtStep: o['stop-at'] ? Number(o['stop-at']) : undefined,
    maxMinutes: o.minutes ? Number(o.minutes) : undefined,
    batch: o.batch ? Number(o.batch) : undefined,
    patchEdge: o.patch ? Number(o.patch) : undefined,
    widths: o.widths ? o.widths.split(',').map(Number) : undefined,
    learningRate: o.lr ? Number(o.lr) : undefined,
    seed: o.seed ? Number(o.seed) : undefined,
    threads: o.threads ? Number(o.threads) : undefined,
    physics: physicsWeights(o),
    lightAtomWeight: nonNegative(o, 'light-atom-weight'),
    surfaceLightWeight: nonNegative(o, 'surface-light-weight'),
    physicsExposure: physicsExposure(o),
    outDirs: trainOutDirs(nets, o.out),
    resume: o.resume !== 'false',
    log,
    command,
  });
  log(`summary: ${JSON.stringify(res)}`);
  return res;
}
