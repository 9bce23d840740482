/**
 * `pann run` on files: read the tilt series and angles, run the pipeline, write atoms.xyz, atoms.csv,
 * reconstruction.mrc, refined.mrc (unless --refine none) and summary.json (schema/summary.schema.json)
 * into the output folder.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PannError } from '../core/errors';
import type { AtomicModel, TiltSeries } from '../core/types';
import { readAngles, readTiltSeries, checkAngleCount, readAtomicModel, writeAtomicModel, writeVolume } from '../io';
import { evaluate, type EvaluationMetrics } from '../metrics';
import { validateDocument } from '../schema/validate';
import { DEFAULT_VOLUME_REFINE, runPipeline, type PipelineOptions, type PipelineResult } from './run';
import { StageTimer } from './timer';
import { truthInVolumeFrame, type TruthFrame } from './truth-frame';
import { sortByZ } from '../core/elements';
import { misalignmentZ2 } from '../trace';

/** Options of `pann run` (the JSON form is schema/pipeline-config.schema.json). */
export interface RunFilesOptions extends Omit<PipelineOptions, 'onProgress'> {
  tilts: string;
  tiltsVar?: string;
  angles: string;
  anglesVar?: string;
  /** Projection pixel size in Å. */
  pixelSizeA: number;
  out: string;
  /** Optional ground-truth model to evaluate against. */
  truth?: string;
  /** Matching radius for the evaluation, Å. */
  rMatchA?: number;
  /** Frame of the truth positions (see pipeline/truth-frame.ts). Default 'auto'. */
  truthFrame?: TruthFrame;
}

export interface RunFilesResult {
  result: PipelineResult;
  summary: Summary;
}

/** Contents of summary.json. */
export interface Summary {
  version: string;
  inputs: { tilts: string; angles: string; tiltShape: number[]; pixelSizeA: number; nAngles: number };
  options: Record<string, unknown>;
  counts: { candidates: number; atoms: number; bySpecies: Record<string, number> };
  threshold: number;
  rFactor: number | null;
  /** When the atoms were fitted (fitPositions, the default): mean atom move, RMS fitted misalignment and atom image σ (Å); atoms the support cut dropped; how significant the misalignment is (`misalignmentZ2`) and whether the series was realigned from a first fit; the neighbour prior's width (Å per axis) when it acted, else null; the empty lattice sites proposed and kept (fillVacantSites, the default; null without it or without the support cut). */
  positionFit?: { meanAtomShiftA: number; misalignmentRmsA: number; sigmaA: number; unsupportedDropped: number; misalignmentZ2: number; realigned: boolean; neighbourPriorA: number | null; vacantSites: { proposed: number; kept: number } | null };
  stageTimesS: Record<string, number>;
  totalTimeS: number;
  metrics?: EvaluationMetrics;
  outputs: Record<string, string>;
}

/** Reads a tilt series with its angles; checks that the counts agree. */
export function loadTiltSeries(opts: { tilts: string; tiltsVar?: string; angles: string; anglesVar?: string; pixelSizeA?: number }): TiltSeries {
  const data = readTiltSeries(opts.tilts, { varName: opts.tiltsVar, pixelSizeA: opts.pixelSizeA });
  const anglesDeg = readAngles(opts.angles, { varName: opts.anglesVar });
  checkAngleCount(anglesDeg, data.shape[0], { angles: opts.angles, projections: opts.tilts });
  return { data: data.data, shape: data.shape, pixelSizeA: data.pixelSizeA, anglesDeg };
}

function countBySpecies(model: AtomicModel): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of model.species) out[s] = (out[s] ?? 0) + 1;
  return out;
}

/** Runs the pipeline on files and writes the outputs; returns the in-memory result and the summary. */
export async function runOnFiles(opts: RunFilesOptions, onProgress?: PipelineOptions['onProgress']): Promise<RunFilesResult> {
  validateDocument('pipeline-config', JSON.parse(JSON.stringify(opts)), 'pann run options');
  if (!opts.out) throw new PannError('OPTION', 'an output folder is required (--out DIR)', { field: 'out' });
  const timer = new StageTimer();
  const tilts = await timer.time('read', () => loadTiltSeries(opts));
  // Numeric species types in a .txt truth table number the given species by increasing Z (1 = lightest).
  const speciesByType = Object.fromEntries(sortByZ(opts.species ?? []).map((sp, i) => [i + 1, sp]));
  const truthRaw = opts.truth ? readAtomicModel(opts.truth, { speciesByType }) : undefined;
  const result = await runPipeline(tilts, { ...opts, onProgress });
  fs.mkdirSync(opts.out, { recursive: true });
  const refined = (opts.refine ?? DEFAULT_VOLUME_REFINE) !== 'none';
  const outputs: Record<string, string> = {
    atomsXyz: path.join(opts.out, 'atoms.xyz'),
    atomsCsv: path.join(opts.out, 'atoms.csv'),
    reconstruction: path.join(opts.out, 'reconstruction.mrc'),
    // the volume the atoms were traced in, when a network refined the reconstruction
    ...(refined ? { refined: path.join(opts.out, 'refined.mrc') } : {}),
    summary: path.join(opts.out, 'summary.json'),
  };
  await timer.time('write', () => {
    writeAtomicModel(outputs.atomsXyz, result.atoms);
    writeAtomicModel(outputs.atomsCsv, result.atoms);
    writeVolume(outputs.reconstruction, result.reconstruction);
    if (refined) writeVolume(outputs.refined, result.refined);
  });
  const stageTimesS = { ...timer.stageTimesS, ...result.stageTimesS };
  const summary: Summary = {
    version: packageVersion(),
    inputs: { tilts: opts.tilts, angles: opts.angles, tiltShape: [...tilts.shape], pixelSizeA: tilts.pixelSizeA, nAngles: tilts.shape[0] },
    options: { ...opts },
    counts: { candidates: result.trace.peak.length, atoms: result.atoms.species.length, bySpecies: countBySpecies(result.atoms) },
    threshold: result.threshold,
    rFactor: result.rFactor,
    stageTimesS,
    totalTimeS: Object.values(stageTimesS).reduce((s, t) => s + t, 0),
    outputs,
  };
  const fit = result.positionFit;
  if (fit) {
    const rms = (xs: ArrayLike<number>): number => Math.sqrt(Array.from(xs).reduce((s, x) => s + x * x, 0) / xs.length);
    summary.positionFit = {
      meanAtomShiftA: fit.shiftA.reduce((s, x) => s + x, 0) / fit.shiftA.length,
      misalignmentRmsA: rms(fit.projectionShiftA),
      sigmaA: fit.sigmaA,
      unsupportedDropped: result.unsupportedDropped,
      misalignmentZ2: misalignmentZ2(fit),
      realigned: result.realignment !== null,
      neighbourPriorA: Number.isFinite(fit.neighbourPriorA) ? fit.neighbourPriorA : null,
      vacantSites: result.vacantSites ? { proposed: result.vacantSites.proposed, kept: result.vacantSites.kept } : null,
    };
  }
  if (truthRaw) {
    const truth = truthInVolumeFrame(truthRaw, result.reconstruction.shape, result.reconstruction.voxelSizeA, opts.truthFrame);
    summary.metrics = evaluate(result.atoms, truth, { rMatchA: opts.rMatchA });
  }
  validateDocument('summary', JSON.parse(JSON.stringify(summary)), outputs.summary);
  fs.writeFileSync(outputs.summary, JSON.stringify(summary, null, 2) + '\n');
  return { result, summary };
}

/** The kernel-lib package version. */
export function packageVersion(): string {
  try {
    return (require('../../package.json') as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}
