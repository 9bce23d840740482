/**
 * GLARE training data: a seeded stream of (input, target) pairs made on the fly, so a training run
 * needs no data set on disk. Input = the reconstruction the pipeline would make from a simulated
 * low-dose tilt series (border-median background removal → RESIRE with the pipeline defaults);
 * target = the ideal atomic volume (one isotropic Gaussian peak per true atom, no noise, no wedge).
 * Each seed maps to one randomly drawn set-up: morphology (every simulator shape, plus amorphous
 * spheres), composition (pure metals, ordered L1₀/L1₂ and random alloys, core–shell), size, voxel
 * size, total dose (log-uniform 1e3–1e6 e⁻/Å²), tilt range and count, and noise preset.
 */
import { PannError } from '../core/errors';
import { createRng, type Rng } from '../core/rng';
import { atomicNumber } from '../core/elements';
import type { AtomicModel, Shape3, TiltSeries, Volume } from '../core/types';
import { subtractBackground } from '../preprocess/background';
import { reconstructDetailed } from '../recon/reconstruct';
import { SHAPES, type ShapeKind } from '../sim/shapes';
import { renderAtomicVolume } from '../sim/atomic-volume';
import { resolveSimulation, simulate, type SimulateOptions } from '../sim/simulate';
import { simulateTiltSeries } from '../sim/tilt-series';
import type { NoiseModelName } from '../sim/noise-models';

/** Seeds of the fixed splits: training draws seeds below VALIDATION_SEED_BASE. */
export const VALIDATION_SEED_BASE = 1_000_000;
export const TEST_SEED_BASE = 2_000_000;

/** Total doses (e⁻/Å²) of the benchmark test split. */
export const TEST_DOSES = [1e6, 1e5, 1e4, 3e3];

/** Edge of the simulated volume frame in voxels (every training sample is a cube of this size). */
export const SAMPLE_EDGE = 64;

const NOISE: NoiseModelName[] = ['ideal', 'poisson', 'poisson-gaussian', 'realistic'];
const PURE = ['Pt', 'Au', 'Pd', 'Ag', 'Ni', 'Cu', 'Ir'];
const CORE_SHELL: [string, string][] = [
  ['Ni', 'Pt'],
  ['Pd', 'Pt'],
  ['Au', 'Pd'],
  ['Cu', 'Au'],
];
const RANDOM_ALLOYS: Record<string, number>[] = [
  { Pt: 0.5, Ni: 0.5 },
  { Pt: 0.25, Pd: 0.25, Ni: 0.25, Fe: 0.25 },
  { Au: 0.5, Ag: 0.5 },
  { Pt: 0.7, Co: 0.3 },
];
const TILT_RANGES: [number, number][] = [
  [-70, 70],
  [-60, 60],
  [-75, 75],
  [-65, 70],
  [-90, 87],
];

/** The options of one sample, drawn from its seed (JSON, so a split can be listed and re-made). */
export interface SampleSpec {
  seed: number;
  /** Morphology label used in reports: a shape name, or 'amorphous'. */
  morphology: string;
  /** Composition label: 'pure', 'L10', 'L12', 'random', 'core-shell' or 'amorphous'. */
  compositionKind: string;
  simulate: SimulateOptions;
}

function pick<T>(rng: Rng, xs: readonly T[]): T {
  return xs[rng.int(xs.length)];
}

/**
 * Draws the set-up of sample `seed`. `overrides` fixes fields (the test split fixes dose, morphology).
 * @param seed integer seed
 * @param overrides.totalDoseEPerA2 total dose (e⁻/Å²); overrides.morphology a shape name or 'amorphous'
 */
export function sampleSpec(seed: number, overrides: { totalDoseEPerA2?: number; morphology?: string } = {}): SampleSpec {
  const rng = createRng(seed * 7919 + 13);
  const morphology = overrides.morphology ?? (rng.uniform() < 0.1 ? 'amorphous' : pick(rng, SHAPES));
  const voxelSizeA = morphology === 'amorphous' ? 0.4 + 0.15 * rng.uniform() : 0.5 + 0.25 * rng.uniform();
  // the particle must fit the 64³ frame with the simulator's 3 Å margin in every orientation
  const maxDiameterA = Math.min(38, SAMPLE_EDGE * voxelSizeA - 8);
  const diameterA = Math.max(14, maxDiameterA - (morphology === 'amorphous' ? 0.5 : 0.45) * maxDiameterA * rng.uniform());
  let particle: SimulateOptions['particle'];
  let compositionKind: string;
  const shape = (morphology === 'amorphous' ? 'sphere' : morphology) as ShapeKind;
  const twinned = shape === 'decahedron' || shape === 'icosahedron';
  if (morphology === 'amorphous') {
    compositionKind = 'amorphous';
    particle = { species: 'Si', lattice: 'amorphous', shape: 'sphere', diameterA };
  } else {
    const u = rng.uniform();
    const base = { shape, diameterA, thermalDisplacementPm: 3 + 5 * rng.uniform(), surfaceRoughness: 0.1 * rng.uniform(), orientation: 'random' as const };
    if (u < 0.35) {
      compositionKind = 'pure';
      particle = { ...base, species: pick(rng, PURE), ...(twinned ? {} : { lattice: 'fcc' as const }) };
    } else if (u < 0.55 && !twinned) {
      compositionKind = rng.uniform() < 0.5 ? 'L10' : 'L12';
      particle = compositionKind === 'L10' ? { ...base, composition: { Fe: 0.5, Pt: 0.5 }, ordering: 'L10' } : { ...base, composition: { Pt: 0.75, Fe: 0.25 }, ordering: 'L12' };
    } else if (u < 0.8) {
      compositionKind = 'random';
      particle = { ...base, composition: pick(rng, RANDOM_ALLOYS), ordering: 'random', lattice: 'fcc' };
    } else {
      compositionKind = 'core-shell';
      const [core, shell] = pick(rng, CORE_SHELL);
      particle = { ...base, ordering: 'core-shell', coreSpecies: core, shellSpecies: shell, coreRadiusFraction: 0.4 + 0.3 * rng.uniform(), lattice: 'fcc' };
    }
  }
  const logDose = Math.log10(1e3) + 3 * rng.uniform();
  const tiltRangeDeg = morphology === 'amorphous' && rng.uniform() < 0.5 ? ([0, 177] as [number, number]) : pick(rng, TILT_RANGES);
  const nAngles = 36 + rng.int(30);
  const noiseModel = pick(rng, NOISE);
  return {
    seed,
    morphology,
    compositionKind,
    simulate: {
      preset: 'pt-highdose',
      seed,
      voxelSizeA,
      volumeShape: [SAMPLE_EDGE, SAMPLE_EDGE, SAMPLE_EDGE],
      particle,
      acquisition: { tiltRangeDeg, nAngles, noiseModel, ...(rng.uniform() < 0.3 ? { probeSigmaA: 0.35 } : {}) },
      totalDoseEPerA2: overrides.totalDoseEPerA2 ?? 10 ** logDose,
    },
  };
}

/** Peak height of each species in the target: (Z / Z_max)^0.85 — half the HAADF Z-contrast exponent, so species stay ordered by brightness while light atoms keep tall enough peaks to trace. */
export function targetWeights(species: string[]): Record<string, number> {
  const zs = species.map((s) => atomicNumber(s));
  const zmax = Math.max(...zs);
  const w: Record<string, number> = {};
  species.forEach((s, i) => (w[s] = (zs[i] / zmax) ** 0.85));
  return w;
}

/** Target peak σ as a fraction of the voxel edge (the simulator's default for the atomic volume). */
export const TARGET_SIGMA_VOXELS = 0.8;

/** One training pair and what it was made from. */
export interface TrainingPair {
  spec: SampleSpec;
  /** The pipeline's reconstruction of the low-dose series (raw volume units). */
  reconstruction: Volume;
  /** The ideal atomic volume (peak heights from `targetWeights`). */
  target: Volume;
  /** The background-subtracted tilt series that was reconstructed (for the projection-consistency term). */
  tilts: TiltSeries;
  truth: AtomicModel;
  /** The misalignment the simulator applied, (du, dv) in Å per projection (zeros without it). */
  shiftsA: Float64Array;
}

/**
 * Makes the pair of one spec exactly as the pipeline makes its input (background removal, then RESIRE
 * with the pipeline defaults).
 */
export async function makePair(spec: SampleSpec): Promise<TrainingPair> {
  const sim = await simulate(spec.simulate);
  const tilts = subtractBackground(sim.tilts).tilts;
  const recon = await reconstructDetailed(tilts, { volumeShape: sim.volumeShape });
  const species = [...new Set(sim.truth.species)];
  const v = sim.tilts.pixelSizeA;
  const target = renderAtomicVolume(sim.truth, { volumeShape: sim.volumeShape, voxelSizeA: v, sigmaA: TARGET_SIGMA_VOXELS * v, weightBySpecies: targetWeights(species) });
  return { spec, reconstruction: recon.volume, target, tilts, truth: sim.truth, shiftsA: sim.shiftsA };
}

/**
 * A second exposure of the pair's particle: the same acquisition (angles, dose, noise preset) with its
 * own shot noise, scan jitter and misalignment, background-subtracted like the first. Used as the
 * measurement of GLARE's projection-consistency term so that its noise is independent of the noise
 * in the network's input (with the reconstructed series itself, the term's target carries the input's
 * own noise, which the network can learn to reproduce; with an independent one the noise averages out
 * of the MSE, as in Noise2Noise). Seeded by the spec's seed.
 * @param spec the pair's set-up; truth its true atoms (from `makePair`)
 */
export async function independentExposure(spec: SampleSpec, truth: AtomicModel): Promise<TiltSeries> {
  const r = resolveSimulation(spec.simulate);
  const seed = createRng(spec.seed * 7919 + 29).int(2 ** 32);
  const sim = await simulateTiltSeries(truth, r.volumeShape, { pixelSizeA: r.voxelSizeA, ...r.acquisition }, seed);
  return subtractBackground(sim.tilts).tilts;
}

/** The fixed validation split: `n` seeds from VALIDATION_SEED_BASE, set-ups drawn like training. */
export function validationSpecs(n: number): SampleSpec[] {
  return Array.from({ length: n }, (_, i) => sampleSpec(VALIDATION_SEED_BASE + i));
}

/** Morphologies of the test split, in the order that fixes their seeds. */
export const TEST_MORPHOLOGIES: readonly string[] = [...SHAPES, 'amorphous'];

/**
 * The fixed test split: for each morphology (every shape and 'amorphous') and each dose in `doses`,
 * `perCell` particles; the particle of a (morphology, index) cell is the same at every dose, and the
 * same whichever subset of morphologies is asked for (its seed comes from its place in
 * TEST_MORPHOLOGIES).
 */
export function testSpecs(doses: number[] = TEST_DOSES, perCell = 1, morphologies: readonly string[] = TEST_MORPHOLOGIES): SampleSpec[] {
  const out: SampleSpec[] = [];
  for (const m of morphologies) {
    const mi = TEST_MORPHOLOGIES.indexOf(m);
    if (mi < 0) throw new PannError('OPTION', `unknown test morphology '${m}' (expected ${TEST_MORPHOLOGIES.join(', ')})`, { field: 'morphologies' });
    for (let c = 0; c < perCell; c++) for (const d of doses) out.push(sampleSpec(TEST_SEED_BASE + 100 * mi + c, { totalDoseEPerA2: d, morphology: m }));
  }
  return out;
}

export type { Shape3 };
