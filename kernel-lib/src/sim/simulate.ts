/**
 * One call from a preset name (plus overrides) to a ground-truth model and a noisy tilt series:
 * the data source for reconstruction tests, network training (GLARE, DAST) and the benchmark.
 */
import { PannError } from '../core/errors';
import { createRng } from '../core/rng';
import type { AtomicModel, ProgressCallback, Shape3, TiltSeries, Volume } from '../core/types';
import { renderAtomicVolume } from './atomic-volume';
import type { NoiseModel, NoiseModelName } from './noise-models';
import { buildParticleWithInfo, type ParticleInfo } from './particle';
import { DEFAULT_PRESET, getPreset, type ParticleSpec } from './presets';
import { simulateTiltSeries, type AcquisitionOptions } from './tilt-series';

/** Options of simulate(); every field overrides the preset's. */
export interface SimulateOptions {
  /** Preset name (see listPresets()); default 'fept-lowdose'. */
  preset?: string;
  /** Integer seed; default 0. The particle and the noise use separate sub-seeds, so changing the dose keeps the particle. */
  seed?: number;
  /** Voxel edge (= detector pixel) in Å. */
  voxelSizeA?: number;
  /** Volume frame [nz, ny, nx]. */
  volumeShape?: Shape3;
  /** Particle overrides (merged into the preset's; giving `species` drops the preset's composition and vice versa). */
  particle?: Partial<ParticleSpec>;
  /** Acquisition overrides (giving `nAngles` drops the preset's tiltStepDeg; anglesDeg wins over both). */
  acquisition?: Partial<AcquisitionOptions>;
  /** Shortcut for acquisition.totalDoseEPerA2 (total dose of the series, e⁻/Å²). */
  totalDoseEPerA2?: number;
  /** Shortcut for acquisition.noiseModel. */
  noiseModel?: NoiseModelName | NoiseModel;
  /** Also render the ideal atomic volume (GLARE target): true, or its σ in Å (default 0.8 × voxel). */
  atomicVolume?: boolean | { sigmaA: number };
  onProgress?: ProgressCallback;
}

/** The fully resolved set-up actually simulated (JSON-serialisable; re-running it reproduces the result). */
export interface ResolvedSimulation {
  preset: string;
  seed: number;
  voxelSizeA: number;
  volumeShape: Shape3;
  particle: ParticleSpec;
  acquisition: AcquisitionOptions;
}

export interface SimulationResult {
  /** Ground-truth atoms (Å, volume frame). */
  truth: AtomicModel;
  /** Simulated counts with angles and total dose. */
  tilts: TiltSeries;
  /** The volume frame [nz, ny, nx] (voxel = tilts.pixelSizeA). */
  volumeShape: Shape3;
  /** What was simulated. */
  options: ResolvedSimulation;
  /** Builder decisions (lattice constants, nearest neighbour, counts). */
  particleInfo: ParticleInfo;
  /** Expected integrated counts of one atom per projection, by species. */
  countsPerAtom: Record<string, number>;
  /** Misalignment applied, (du, dv) Å per projection. */
  shiftsA: Float64Array;
  /** The ideal atomic volume, when asked for. */
  atomicVolume?: Volume;
  /** Wall-clock milliseconds per step. */
  timingsMs: { particle: number; tilts: number; atomicVolume?: number };
}

/** Merges a preset with overrides into the resolved set-up (no simulation). */
export function resolveSimulation(opts: SimulateOptions = {}): ResolvedSimulation {
  const name = opts.preset ?? DEFAULT_PRESET;
  const preset = getPreset(name);
  const seed = opts.seed ?? 0;
  if (!Number.isInteger(seed)) throw new PannError('OPTION', `seed must be an integer, got ${seed}`, { field: 'seed' });
  const particle: ParticleSpec = { ...preset.particle };
  const po = opts.particle ?? {};
  if (po.species !== undefined && po.composition === undefined) {
    delete particle.composition;
    if (po.ordering === undefined) delete particle.ordering;
  }
  if (po.composition !== undefined && po.species === undefined) delete particle.species;
  if (po.lattice === undefined && (po.species !== undefined || po.composition !== undefined)) delete particle.lattice;
  Object.assign(particle, stripUndefined(po));
  const acquisition: AcquisitionOptions = { ...preset.acquisition };
  const ao = opts.acquisition ?? {};
  if (ao.nAngles !== undefined && ao.tiltStepDeg === undefined) delete acquisition.tiltStepDeg;
  Object.assign(acquisition, stripUndefined(ao));
  if (opts.totalDoseEPerA2 !== undefined) acquisition.totalDoseEPerA2 = opts.totalDoseEPerA2;
  if (opts.noiseModel !== undefined) acquisition.noiseModel = opts.noiseModel;
  return {
    preset: name,
    seed,
    voxelSizeA: opts.voxelSizeA ?? preset.voxelSizeA,
    volumeShape: opts.volumeShape ?? preset.volumeShape,
    particle,
    acquisition,
  };
}

/**
 * Simulates a particle and its tilt series from a preset with overrides.
 * @param opts preset name, seed and overrides (lengths Å, angles degrees, TOTAL dose e⁻/Å²)
 * @returns truth model, tilt series (counts), the volume frame and the resolved options
 */
export async function simulate(opts: SimulateOptions = {}): Promise<SimulationResult> {
  const resolved = resolveSimulation(opts);
  // Independent sub-seeds: the particle does not change when only acquisition options change.
  const seeds = createRng(resolved.seed);
  const particleSeed = seeds.int(2 ** 32),
    tiltSeed = seeds.int(2 ** 32);
  let t0 = performance.now();
  const { model, info } = buildParticleWithInfo({ ...resolved.particle, voxelSizeA: resolved.voxelSizeA, volumeShape: resolved.volumeShape }, particleSeed);
  const particleMs = performance.now() - t0;
  t0 = performance.now();
  const sim = await simulateTiltSeries(model, resolved.volumeShape, { pixelSizeA: resolved.voxelSizeA, ...resolved.acquisition }, tiltSeed, opts.onProgress);
  const tiltsMs = performance.now() - t0;
  const result: SimulationResult = {
    truth: model,
    tilts: sim.tilts,
    volumeShape: resolved.volumeShape,
    options: resolved,
    particleInfo: info,
    countsPerAtom: sim.countsPerAtom,
    shiftsA: sim.shiftsA,
    timingsMs: { particle: particleMs, tilts: tiltsMs },
  };
  if (opts.atomicVolume) {
    t0 = performance.now();
    const sigmaA = typeof opts.atomicVolume === 'object' ? opts.atomicVolume.sigmaA : 0.8 * resolved.voxelSizeA;
    result.atomicVolume = renderAtomicVolume(model, { volumeShape: resolved.volumeShape, voxelSizeA: resolved.voxelSizeA, sigmaA });
    result.timingsMs.atomicVolume = performance.now() - t0;
  }
  return result;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
