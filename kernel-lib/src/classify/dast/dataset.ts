/**
 * DAST training and test data: random simulated particles (element sets, arrangements, doses), made into
 * traced atoms exactly as `pipeline/run.ts` does (background → reconstruct → trace → select), each traced
 * atom labelled by matching it to the truth. Ghost atoms (no true partner within rMatchA) stay in the
 * graph (they are present at inference too) but carry no target.
 */
import { createRng, type Rng } from '../../core/rng';
import { atomicNumber } from '../../core/elements';
import type { AtomicModel, Volume } from '../../core/types';
import { simulate, type SimulateOptions } from '../../sim/simulate';
import { subtractBackground } from '../../preprocess/background';
import { reconstructDetailed } from '../../recon/reconstruct';
import { traceAtoms, selectAtoms, autoThreshold } from '../../trace';
import { classifyKMeans } from '../kmeans';
import { matchAtoms } from '../../metrics/match';
import { computeDastFeatures, type DastFeatureConfig, DEFAULT_FEATURE_CONFIG } from './features';
import { brightnessScore } from './assign';
import { defaultModelDir, loadRefineModel, refineVolume, type RefineModel } from '../../refine/infer';

/** Elements the shipped model was trained on. */
export const TRAIN_ELEMENTS = ['Fe', 'Ni', 'Cu', 'Pd', 'Ag', 'Pt', 'Au'];
/** Elements never seen in training (generalisation test). */
export const HELD_OUT_ELEMENTS = ['Co', 'Rh', 'Ir', 'W'];
/** Element combinations never seen in training, though their elements are (generalisation test). */
export const HELD_OUT_SETS = [
  ['Ni', 'Pd', 'Pt'],
  ['Fe', 'Ni', 'Pd', 'Pt'],
];
/** Named binary alloys drawn often in training. */
export const NAMED_PAIRS = [
  ['Fe', 'Pt'],
  ['Pd', 'Pt'],
  ['Ni', 'Pt'],
  ['Ag', 'Au'],
  ['Cu', 'Au'],
  ['Fe', 'Pd'],
  ['Ni', 'Au'],
  ['Ni', 'Pd'],
];

/** One simulated case. */
export interface DastScenario {
  name: string;
  seed: number;
  /** Elements and atom fractions. */
  composition: Record<string, number>;
  ordering: 'L10' | 'L12' | 'random' | 'core-shell';
  amorphous: boolean;
  shape: string;
  diameterA: number;
  totalDoseEPerA2: number;
  noiseModel: 'realistic' | 'poisson-gaussian';
  recon: { method: 'resire' | 'wbp'; iterations?: number };
  /** Preset the frame (voxel, volume, tilts, probe) comes from. */
  preset: string;
  voxelSizeA?: number;
  volumeShape?: [number, number, number];
  /**
   * Volume the atoms are traced on and classified from, as `pipeline/run.ts` does with `refine`:
   * 'none' (default) the reconstruction, 'glare' the shipped GLARE refinement of it.
   */
  refine?: 'none' | 'glare';
}

/** A labelled traced particle, ready for the network. */
export interface DastSample {
  scenario: DastScenario;
  species: string[];
  nAtoms: number;
  nTrue: number;
  nodes: Float32Array;
  src: Int32Array;
  dst: Int32Array;
  edges: Float32Array;
  /** Brightness score of the true species per traced atom (NaN for ghosts). */
  target: Float32Array;
  /** True species index into `species` (−1 for ghosts). */
  label: Int32Array;
  /** k-means species index per traced atom (the baseline). */
  kmeans: Int32Array;
  timingsS: Record<string, number>;
}

function pick<T>(rng: Rng, xs: readonly T[]): T {
  return xs[rng.int(xs.length)];
}

function sameSet(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}

/**
 * Draws a random training (or test) scenario.
 * @param split 'train' uses TRAIN_ELEMENTS and avoids HELD_OUT_SETS; 'unseen' uses at least one held-out element.
 * @param glareFraction probability (0–1) that the atoms are traced on the GLARE-refined volume instead of the
 *   raw reconstruction (drawn last, so the other choices of a seed do not depend on it). Default 0.
 */
export function randomScenario(
  seed: number,
  split: 'train' | 'unseen' = 'train',
  glareFraction = 0,
): DastScenario {
  const rng = createRng(seed * 7919 + 17);
  const u = rng.uniform();
  let elements: string[];
  const k = u < 0.6 ? 2 : u < 0.85 ? 3 : 4;
  const pool = split === 'train' ? TRAIN_ELEMENTS : [...TRAIN_ELEMENTS, ...HELD_OUT_ELEMENTS];
  for (;;) {
    if (k === 2 && split === 'train' && rng.uniform() < 0.5) elements = pick(rng, NAMED_PAIRS).slice();
    else {
      const left = pool.slice();
      elements = [];
      for (let i = 0; i < k; i++) elements.push(left.splice(rng.int(left.length), 1)[0]);
    }
    if (split === 'train' && HELD_OUT_SETS.some((s) => sameSet(s, elements))) continue;
    if (split === 'unseen' && !elements.some((e) => HELD_OUT_ELEMENTS.includes(e))) continue;
    // Species closer than ΔZ = 2 (e.g. Pt/Au, Ir/Pt) are not separable by Z-contrast at all; skip them.
    const zs = elements.map(atomicNumber).sort((a, b) => a - b);
    if (zs.some((z, i) => i > 0 && z - zs[i - 1] < 2)) continue;
    break;
  }
  const fept = split === 'train' && rng.uniform() < 0.15;
  if (fept) elements = ['Fe', 'Pt'];
  let ordering: DastScenario['ordering'] = 'random';
  let amorphous = false;
  const composition: Record<string, number> = {};
  const o = rng.uniform();
  if (elements.length === 2 && o < 0.25) ordering = 'L10';
  else if (elements.length === 2 && o < 0.35) ordering = 'L12';
  else if (elements.length === 2 && o < 0.55) ordering = 'core-shell';
  else if (o > 0.85) amorphous = true;
  if (fept && rng.uniform() < 0.6) {
    ordering = 'L10';
    amorphous = false;
  }
  if (ordering === 'L10') elements.forEach((e) => (composition[e] = 0.5));
  else if (ordering === 'L12') {
    const heavyFirst = rng.uniform() < 0.5;
    composition[elements[0]] = heavyFirst ? 0.25 : 0.75;
    composition[elements[1]] = heavyFirst ? 0.75 : 0.25;
  } else {
    const w = elements.map(() => 0.3 + rng.uniform());
    const s = w.reduce((a, b) => a + b, 0);
    elements.forEach((e, i) => (composition[e] = w[i] / s));
  }
  const doseExp = 3 + 3 * rng.uniform();
  const r = rng.uniform();
  const recon: DastScenario['recon'] =
    r < 0.3
      ? { method: 'resire', iterations: 20 }
      : r < 0.7
        ? { method: 'resire', iterations: 10 }
        : { method: 'wbp' };
  const draws: Omit<DastScenario, 'refine'> = {
    name: `${split}-${seed}`,
    seed,
    composition,
    ordering,
    amorphous,
    shape: amorphous
      ? pick(rng, ['sphere', 'cuboctahedron'])
      : pick(rng, ['truncated-octahedron', 'cuboctahedron', 'sphere', 'octahedron']),
    diameterA: fept ? 30 : 20 + 10 * rng.uniform(),
    totalDoseEPerA2: Math.round(10 ** doseExp),
    noiseModel: rng.uniform() < 0.7 ? 'realistic' : 'poisson-gaussian',
    recon,
    preset: fept ? 'fept-lowdose' : 'hea',
    voxelSizeA: fept ? undefined : pick(rng, [0.6, 0.65, 0.7]),
    volumeShape: fept ? undefined : [64, 64, 64],
  };
  // GLARE was trained on RESIRE input; WBP scenarios stay raw.
  const glare = recon.method === 'resire' && rng.uniform() < glareFraction;
  return { ...draws, refine: glare ? 'glare' : 'none' };
}

/** The simulator options of a scenario. */
export function scenarioSimOptions(s: DastScenario): SimulateOptions {
  const particle: Record<string, unknown> = {
    composition: s.composition,
    ordering: s.ordering,
    shape: s.shape,
    diameterA: s.diameterA,
    orientation: 'random',
    lattice: s.amorphous ? 'amorphous' : 'fcc',
  };
  if (s.ordering === 'core-shell') {
    const [a, b] = Object.keys(s.composition);
    const heavyCore = atomicNumber(a) > atomicNumber(b);
    particle.coreSpecies = heavyCore ? a : b;
    particle.shellSpecies = heavyCore ? b : a;
    particle.coreRadiusFraction = 0.55 + 0.2 * ((s.seed % 5) / 4);
    delete particle.composition;
  }
  if (s.amorphous) {
    particle.minDistanceA = 2.3;
    particle.amorphousDensityPerA3 = 0.045;
  }
  return {
    preset: s.preset,
    seed: s.seed,
    totalDoseEPerA2: s.totalDoseEPerA2,
    noiseModel: s.noiseModel,
    voxelSizeA: s.voxelSizeA,
    volumeShape: s.volumeShape,
    particle: particle as SimulateOptions['particle'],
  };
}

let glareModel: Promise<RefineModel> | null = null;
/** The shipped GLARE weights, loaded once per process. */
function shippedGlare(): Promise<RefineModel> {
  glareModel ??= loadRefineModel(defaultModelDir('glare'));
  return glareModel;
}

/** Simulated particle → traced atoms, as the pipeline makes them; also returns the volume and truth. */
export async function simulateAndTrace(
  s: DastScenario,
): Promise<{ truth: AtomicModel; volume: Volume; atoms: AtomicModel; timingsS: Record<string, number> }> {
  const t: Record<string, number> = {};
  let t0 = performance.now();
  const sim = await simulate(scenarioSimOptions(s));
  t.simulate = (performance.now() - t0) / 1000;
  t0 = performance.now();
  const tilts = subtractBackground(sim.tilts).tilts;
  const rec = await reconstructDetailed(tilts, { method: s.recon.method, iterations: s.recon.iterations });
  t.reconstruct = (performance.now() - t0) / 1000;
  let volume = rec.volume;
  if ((s.refine ?? 'none') === 'glare') {
    t0 = performance.now();
    volume = await refineVolume(rec.volume, { method: 'glare', model: await shippedGlare(), tiltAnglesDeg: tilts.anglesDeg });
    t.refine = (performance.now() - t0) / 1000;
  }
  t0 = performance.now();
  const tr = await traceAtoms(volume, {});
  const atoms = selectAtoms(tr, { threshold: autoThreshold(tr) });
  t.trace = (performance.now() - t0) / 1000;
  return { truth: sim.truth, volume, atoms, timingsS: t };
}

/** Matching radius (Å) for labels: the default of `metrics/evaluate`. */
export const LABEL_MATCH_RADIUS_A = 1.0;

/**
 * Makes one labelled sample (null when tracing found fewer than 8 atoms).
 * @param s the scenario; cfg the feature settings
 */
export async function makeDastSample(
  s: DastScenario,
  cfg: DastFeatureConfig = DEFAULT_FEATURE_CONFIG,
): Promise<DastSample | null> {
  const { truth, volume, atoms, timingsS } = await simulateAndTrace(s);
  const species = [...new Set(truth.species)].sort((a, b) => atomicNumber(a) - atomicNumber(b));
  const n = atoms.species.length;
  if (n < 8) return null;
  let t0 = performance.now();
  const km = classifyKMeans(atoms, volume, { species });
  timingsS.kmeans = (performance.now() - t0) / 1000;
  t0 = performance.now();
  const f = computeDastFeatures(volume, atoms.positionsA, cfg);
  timingsS.features = (performance.now() - t0) / 1000;
  const m = matchAtoms(atoms, truth, { rMatchA: LABEL_MATCH_RADIUS_A });
  const target = new Float32Array(n).fill(NaN);
  const label = new Int32Array(n).fill(-1);
  for (let t = 0; t < m.predIndex.length; t++) {
    const sp = truth.species[m.truthIndex[t]];
    target[m.predIndex[t]] = brightnessScore(sp);
    label[m.predIndex[t]] = species.indexOf(sp);
  }
  return {
    scenario: s,
    species,
    nAtoms: n,
    nTrue: truth.species.length,
    nodes: f.nodes,
    src: f.src,
    dst: f.dst,
    edges: f.edges,
    target,
    label,
    kmeans: Int32Array.from(km.species, (x) => species.indexOf(x)),
    timingsS,
  };
}

/** JSON form of a sample (typed arrays as plain arrays). */
export function sampleToJson(s: DastSample): string {
  const o: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(s))
    o[k] = ArrayBuffer.isView(v) ? Array.from(v as Float32Array, (x) => (Number.isNaN(x) ? null : x)) : v;
  return JSON.stringify(o);
}

/** Inverse of {@link sampleToJson}. */
export function sampleFromJson(line: string): DastSample {
  const o = JSON.parse(line);
  const f32 = (a: (number | null)[]): Float32Array => Float32Array.from(a, (x) => (x === null ? NaN : x));
  return {
    ...o,
    nodes: f32(o.nodes),
    edges: f32(o.edges),
    target: f32(o.target),
    src: Int32Array.from(o.src),
    dst: Int32Array.from(o.dst),
    label: Int32Array.from(o.label),
    kmeans: Int32Array.from(o.kmeans),
  };
}
