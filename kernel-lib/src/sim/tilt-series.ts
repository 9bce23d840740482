/**
 * HAADF-STEM tilt series of an atomic model.
 *
 * Signal model (incoherent Z-contrast imaging, each atom an isotropic Gaussian):
 * - every atom of species s scatters, into the annular detector, the electrons hitting an effective
 *   cross-section σ_s = crossSectionRefA2 · (Z_s / 78)^α Å² (α = zExponent, default 1.7; reference
 *   0.05 Å² for Pt, which makes a probe centred on one Pt atom send ≈ 2–3 % of its electrons to the
 *   detector, the order measured for single heavy atoms);
 * - per-projection dose D_p = totalDoseEPerA2 / nAngles (e⁻/Å²); an atom's integrated counts are
 *   D_p · η · σ_s (η = detectorEfficiency), spread over the detector as a 2D Gaussian of
 *   σ = √(atomSigmaA² + probeSigmaA²) (atomic potential + thermal smearing, and probe size);
 * - an amorphous support adds D_p · pixelArea · η · f_support / cos θ counts per pixel;
 * - then the noise model (noise-models.ts) adds misalignment, scan jitter, shot, dark and read noise.
 * So counts grow linearly with dose and as Z^α with species; at total dose 1e4 e⁻/Å² over 60
 * projections a Pt atom yields ≈ 8 counts per projection, an Fe atom ≈ 1.3.
 *
 * Same seed and options → bit-identical output (all randomness from core/rng, fixed draw order).
 */
import { PannError, assertPositive } from '../core/errors';
import { atomicNumber } from '../core/elements';
import { rotationZYZ } from '../core/geometry';
import { yieldToEventLoop } from '../core/progress';
import { createRng, type Rng } from '../core/rng';
import type { AtomicModel, EulerZYZDeg, ProgressCallback, Shape3, TiltSeries } from '../core/types';
import { resolveNoiseModel, type NoiseModel, type NoiseModelName } from './noise-models';
import { projectAtoms } from './project-atoms';

/** Reference HAADF cross-section (Å²) of a Pt atom (Z = 78). */
export const PT_CROSS_SECTION_A2 = 0.05;

/** Acquisition and detector options. Lengths in Å, angles in degrees, dose in e⁻/Å² (total of the series). */
export interface AcquisitionOptions {
  /** Total dose of the whole series in e⁻/Å² (split evenly over the projections). */
  totalDoseEPerA2: number;
  /** Single-axis tilt range [min, max] in degrees (about y). Default [−70, 70]. */
  tiltRangeDeg?: [number, number];
  /** Tilt step in degrees; or give `nAngles` (evenly spaced, both ends included). Default: 60 angles. */
  tiltStepDeg?: number;
  /** Number of tilt angles over `tiltRangeDeg`, both ends included (used when tiltStepDeg is absent). */
  nAngles?: number;
  /** Explicit ZYZ Euler triples (degrees); overrides the range/step. */
  anglesDeg?: EulerZYZDeg[];
  /** Noise model name or parameters. Default 'realistic'. */
  noiseModel?: NoiseModelName | NoiseModel;
  /** Overrides of single noise parameters. */
  noise?: Partial<NoiseModel>;
  /** Z-contrast exponent α (intensity ∝ Z^α). Default 1.7. */
  zExponent?: number;
  /** Cross-section of Pt in Å² (other species scale by (Z/78)^α). Default 0.05. */
  crossSectionRefA2?: number;
  /** Intrinsic atom blur σ in Å (potential + thermal vibration). Default 0.35. */
  atomSigmaA?: number;
  /** Probe blur σ in Å. Default 0.5. */
  probeSigmaA?: number;
  /** Detector collection efficiency η (0–1]. Default 1. */
  detectorEfficiency?: number;
  /** Detector [ny, nx]; default the volume's [ny, nx]. */
  detectorShape?: [number, number];
  /** Detector pixel edge in Å; default the voxel size. */
  pixelSizeA?: number;
}

/** What simulateTiltSeries returns. */
export interface SimulatedTiltSeries {
  /** Counts, float32 [nAngles, ny, nx], with totalDoseEPerA2. */
  tilts: TiltSeries;
  /** Misalignment actually applied, (du, dv) in Å per projection (length 2·nAngles). */
  shiftsA: Float64Array;
  /** Expected integrated counts of one atom per projection, by species (before noise). */
  countsPerAtom: Record<string, number>;
  /** The resolved noise model. */
  noise: NoiseModel;
}

/**
 * Single-axis tilt angles.
 * @param rangeDeg [min, max] in degrees
 * @param stepDeg step in degrees (angles min, min+step, … ≤ max); or `nAngles` evenly spaced
 */
export function tiltAngles(rangeDeg: [number, number], stepDeg?: number, nAngles?: number): EulerZYZDeg[] {
  const [lo, hi] = rangeDeg;
  if (!(Number.isFinite(lo) && Number.isFinite(hi) && hi >= lo)) throw new PannError('OPTION', `tiltRangeDeg must be [min, max] with max ≥ min, got ${JSON.stringify(rangeDeg)}`, { field: 'tiltRangeDeg' });
  if (stepDeg !== undefined) {
    assertPositive(stepDeg, 'tiltStepDeg (degrees)');
    const n = Math.floor((hi - lo) / stepDeg + 1e-9) + 1;
    return Array.from({ length: n }, (_, k) => [0, round9(lo + k * stepDeg), 0] as EulerZYZDeg);
  }
  const n = nAngles ?? 60;
  if (!(Number.isInteger(n) && n >= 1)) throw new PannError('OPTION', `nAngles must be an integer ≥ 1, got ${n}`, { field: 'nAngles' });
  if (n === 1) return [[0, lo, 0]];
  return Array.from({ length: n }, (_, k) => [0, round9(lo + ((hi - lo) * k) / (n - 1)), 0] as EulerZYZDeg);
}

/** The angle set an acquisition describes. */
export function acquisitionAngles(opts: AcquisitionOptions): EulerZYZDeg[] {
  if (opts.anglesDeg) {
    if (!opts.anglesDeg.length || !opts.anglesDeg.every((e) => Array.isArray(e) && e.length === 3 && e.every(Number.isFinite))) {
      throw new PannError('OPTION', 'anglesDeg must be a non-empty list of [phi, theta, psi] triples in degrees', { field: 'anglesDeg' });
    }
    return opts.anglesDeg.map((e) => [e[0], e[1], e[2]] as EulerZYZDeg);
  }
  return tiltAngles(opts.tiltRangeDeg ?? [-70, 70], opts.tiltStepDeg, opts.nAngles);
}

/**
 * HAADF cross-section (Å²) of each species: crossSectionRefA2 · (Z/78)^α.
 * @param species element symbols
 * @param zExponent α
 * @param crossSectionRefA2 Pt value in Å²
 */
export function crossSectionsA2(species: Iterable<string>, zExponent = 1.7, crossSectionRefA2 = PT_CROSS_SECTION_A2): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of species) if (out[s] === undefined) out[s] = crossSectionRefA2 * Math.pow(atomicNumber(s) / 78, zExponent);
  return out;
}

/** The expected-signal side of an acquisition: what every projection's counts are drawn around. */
export interface SignalModel {
  /** Projection angles (ZYZ Euler triples, degrees). */
  angles: EulerZYZDeg[];
  ny: number;
  nx: number;
  /** Detector pixel edge in Å. */
  pixelA: number;
  /** Expected integrated counts of one atom per projection, by species. */
  weights: Record<string, number>;
  /** Gaussian σ of an atom's image in Å (atom blur and probe combined). */
  sigmaA: number;
  /** Support-film counts per pixel at zero tilt (grows as 1/cos θ). */
  backgroundPerPixel: number;
  noise: NoiseModel;
}

interface Prepared extends SignalModel {
  shiftsA: Float64Array;
  rngJitter: Rng;
  rngNoise: Rng;
}

/** Support-film counts per pixel of the projection with rotation matrix R (row-major 3×3). */
export function supportBackground(sm: SignalModel, R: ArrayLike<number>): number {
  // The film's normal is the specimen z axis; its projected thickness grows as 1/|cos(normal, beam)| = 1/|R₃₃|.
  return sm.backgroundPerPixel / Math.max(Math.abs(R[8]), COS_84);
}

/**
 * The expected signal of a tilt series (no random draws): angles, counts per atom by species, atom
 * image σ, support background and the resolved noise model, validated as the simulator does.
 */
export function signalModel(model: AtomicModel, volumeShape: Shape3, opts: AcquisitionOptions): SignalModel {
  assertPositive(opts.totalDoseEPerA2, 'totalDoseEPerA2 (e⁻/Å², whole series)');
  const angles = acquisitionAngles(opts);
  const noise = resolveNoiseModel(opts.noiseModel ?? 'realistic', opts.noise);
  const pixelA = opts.pixelSizeA ?? (model.cellA ? model.cellA[0] / volumeShape[2] : NaN);
  assertPositive(pixelA, 'pixelSizeA (Å)');
  const [ny, nx] = opts.detectorShape ?? [volumeShape[1], volumeShape[2]];
  if (!(Number.isInteger(ny) && Number.isInteger(nx) && ny > 0 && nx > 0)) throw new PannError('SHAPE', `detectorShape must be [ny, nx] positive integers, got [${ny}, ${nx}]`, { field: 'detectorShape' });
  const eta = opts.detectorEfficiency ?? 1;
  if (!(eta > 0 && eta <= 1)) throw new PannError('OPTION', `detectorEfficiency must be in (0, 1], got ${eta}`, { field: 'detectorEfficiency' });
  const dosePerProjection = opts.totalDoseEPerA2 / angles.length;
  const xs = crossSectionsA2(model.species, opts.zExponent ?? 1.7, opts.crossSectionRefA2 ?? PT_CROSS_SECTION_A2);
  const weights: Record<string, number> = {};
  for (const s of Object.keys(xs)) weights[s] = dosePerProjection * eta * xs[s];
  const atomSigma = opts.atomSigmaA ?? 0.35,
    probeSigma = opts.probeSigmaA ?? 0.5;
  if (!(atomSigma >= 0 && probeSigma >= 0 && atomSigma + probeSigma > 0)) throw new PannError('OPTION', 'atomSigmaA and probeSigmaA must be ≥ 0 Å and not both 0', { field: 'probeSigmaA' });
  return {
    angles,
    ny,
    nx,
    pixelA,
    weights,
    sigmaA: Math.hypot(atomSigma, probeSigma),
    backgroundPerPixel: dosePerProjection * pixelA * pixelA * eta * noise.supportScatterFraction,
    noise,
  };
}

function prepare(model: AtomicModel, volumeShape: Shape3, opts: AcquisitionOptions, seed: number): Prepared {
  const sm = signalModel(model, volumeShape, opts);
  const rng = createRng(seed);
  const rngShift = rng.fork(),
    rngJitter = rng.fork(),
    rngNoise = rng.fork();
  const shiftsA = new Float64Array(2 * sm.angles.length);
  if (sm.noise.misalignmentSigmaA > 0) for (let i = 0; i < shiftsA.length; i++) shiftsA[i] = sm.noise.misalignmentSigmaA * rngShift.normal();
  return { ...sm, shiftsA, rngJitter, rngNoise };
}

/** Renders projection t into `out` (offset t·ny·nx): expected counts, geometric errors, then noise. */
function renderProjection(model: AtomicModel, volumeShape: Shape3, p: Prepared, t: number, out: Float32Array, shifted: Float64Array, row: Float64Array): void {
  const { ny, nx, noise } = p;
  // Misalignment: a detector shift (du, dv) equals moving every atom by Rᵀ·(du, dv, 0).
  const R = rotationZYZ(p.angles[t]);
  const du = p.shiftsA[2 * t],
    dv = p.shiftsA[2 * t + 1];
  const ox = R[0] * du + R[3] * dv,
    oy = R[1] * du + R[4] * dv,
    oz = R[2] * du + R[5] * dv;
  const pos = model.positionsA;
  for (let a = 0; a < pos.length; a += 3) {
    shifted[a] = pos[a] + ox;
    shifted[a + 1] = pos[a + 1] + oy;
    shifted[a + 2] = pos[a + 2] + oz;
  }
  const img = projectAtoms({ positionsA: shifted, species: model.species }, [p.angles[t]], {
    detectorShape: [ny, nx],
    pixelSizeA: p.pixelA,
    volumeShape,
    weightBySpecies: p.weights,
    sigmaA: p.sigmaA,
  });
  // Scan jitter: row j was scanned δ_j too far along x, so pixel i shows the signal at i + δ_j/pixel.
  if (noise.scanJitterSigmaA > 0) {
    for (let j = 0; j < ny; j++) {
      const d = (noise.scanJitterSigmaA * p.rngJitter.normal()) / p.pixelA;
      const off = j * nx;
      for (let i = 0; i < nx; i++) row[i] = img[off + i];
      for (let i = 0; i < nx; i++) img[off + i] = Math.max(0, cubicAt(row, nx, i + d));
    }
  }
  const bg = supportBackground(p, R);
  const base = t * ny * nx;
  const rng = p.rngNoise;
  for (let q = 0; q < ny * nx; q++) {
    const lambda = img[q] + bg;
    let v = noise.shotNoise ? rng.poisson(lambda) : lambda;
    v += noise.darkCounts;
    if (noise.readNoiseCounts > 0) v += noise.readNoiseCounts * rng.normal();
    out[base + q] = v;
  }
}

/** Catmull–Rom interpolation of row at fractional index x (edges clamped). */
function cubicAt(row: Float64Array, n: number, x: number): number {
  const i = Math.floor(x);
  const f = x - i;
  const at = (k: number) => row[k < 0 ? 0 : k >= n ? n - 1 : k];
  const p0 = at(i - 1),
    p1 = at(i),
    p2 = at(i + 1),
    p3 = at(i + 2);
  return p1 + 0.5 * f * (p2 - p0 + f * (2 * p0 - 5 * p1 + 4 * p2 - p3 + f * (3 * (p1 - p2) + p3 - p0)));
}

function finish(p: Prepared, data: Float32Array, opts: AcquisitionOptions): SimulatedTiltSeries {
  const countsPerAtom: Record<string, number> = { ...p.weights };
  return {
    tilts: { data, shape: [p.angles.length, p.ny, p.nx], pixelSizeA: p.pixelA, anglesDeg: p.angles, totalDoseEPerA2: opts.totalDoseEPerA2 },
    shiftsA: p.shiftsA,
    countsPerAtom,
    noise: p.noise,
  };
}

/**
 * Simulates a HAADF-STEM tilt series (synchronous).
 * @param model atoms, positions in Å in the volume frame (`cellA` gives the default pixel size)
 * @param volumeShape [nz, ny, nx] of the volume frame (sets the rotation centre)
 * @param opts acquisition, signal and noise options (dose = TOTAL e⁻/Å² of the series)
 * @param seed integer seed; same seed and inputs → bit-identical counts
 */
export function simulateTiltSeriesSync(model: AtomicModel, volumeShape: Shape3, opts: AcquisitionOptions, seed: number): SimulatedTiltSeries {
  const p = prepare(model, volumeShape, opts, seed);
  const data = new Float32Array(p.angles.length * p.ny * p.nx);
  const shifted = new Float64Array(model.positionsA.length);
  const row = new Float64Array(p.nx);
  for (let t = 0; t < p.angles.length; t++) renderProjection(model, volumeShape, p, t, data, shifted, row);
  return finish(p, data, opts);
}

/** As simulateTiltSeriesSync, yielding to the event loop between projections and reporting progress (stage 'simulate-tilts'). */
export async function simulateTiltSeries(
  model: AtomicModel,
  volumeShape: Shape3,
  opts: AcquisitionOptions,
  seed: number,
  onProgress?: ProgressCallback,
): Promise<SimulatedTiltSeries> {
  const p = prepare(model, volumeShape, opts, seed);
  const data = new Float32Array(p.angles.length * p.ny * p.nx);
  const shifted = new Float64Array(model.positionsA.length);
  const row = new Float64Array(p.nx);
  for (let t = 0; t < p.angles.length; t++) {
    renderProjection(model, volumeShape, p, t, data, shifted, row);
    onProgress?.({ stage: 'simulate-tilts', done: t + 1, total: p.angles.length });
    if ((t & 7) === 7) await yieldToEventLoop();
  }
  return finish(p, data, opts);
}

const COS_84 = Math.cos((84 * Math.PI) / 180);

function round9(x: number): number {
  return Math.round(x * 1e9) / 1e9;
}
