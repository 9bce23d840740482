/**
 * Named, documented noise models for simulated HAADF-STEM tilt series. Counts are detected electrons
 * per pixel. The detector signal of one projection is built as
 *
 *   λ(pixel)  = atoms (Z-contrast, see tilt-series.ts) + support background          [expected counts]
 *   observed  = Poisson(λ) (if shotNoise) + darkCounts + N(0, readNoiseCounts²)      [counts]
 *
 * with geometric errors applied to λ before the noise: a rigid shift of each projection (misalignment,
 * Gaussian σ in Å per axis) and a shift of each scan row along x (scan jitter / flyback noise, Gaussian σ
 * in Å per row). Models differ only in which of these terms are on.
 */
import { PannError } from '../core/errors';

/** Parameters of one noise model. */
export interface NoiseModel {
  /** Draw Poisson shot noise on the expected counts. */
  shotNoise: boolean;
  /** Gaussian read noise σ in counts per pixel. */
  readNoiseCounts: number;
  /** Constant detector dark level in counts per pixel (added after shot noise; not subtracted). */
  darkCounts: number;
  /**
   * Fraction of the incident electrons that an amorphous support film scatters into the detector at
   * zero tilt; it grows as 1/cos θ with the film's projected thickness (capped at θ = 84°).
   */
  supportScatterFraction: number;
  /** Per-projection rigid misalignment, Gaussian σ in Å along each detector axis. */
  misalignmentSigmaA: number;
  /** Per-scan-row shift along x (fast scan direction), Gaussian σ in Å. */
  scanJitterSigmaA: number;
}

export type NoiseModelName = 'ideal' | 'poisson' | 'poisson-gaussian' | 'realistic';

/** The named presets. */
export const NOISE_MODELS: Readonly<Record<NoiseModelName, { description: string; model: NoiseModel }>> = {
  ideal: {
    description: 'no noise, no background, perfect alignment: the expected counts themselves',
    model: { shotNoise: false, readNoiseCounts: 0, darkCounts: 0, supportScatterFraction: 0, misalignmentSigmaA: 0, scanJitterSigmaA: 0 },
  },
  poisson: {
    description: 'Poisson shot noise only (the dose limit)',
    model: { shotNoise: true, readNoiseCounts: 0, darkCounts: 0, supportScatterFraction: 0, misalignmentSigmaA: 0, scanJitterSigmaA: 0 },
  },
  'poisson-gaussian': {
    description: 'Poisson shot noise + Gaussian detector read noise (σ = 0.5 counts)',
    model: { shotNoise: true, readNoiseCounts: 0.5, darkCounts: 0, supportScatterFraction: 0, misalignmentSigmaA: 0, scanJitterSigmaA: 0 },
  },
  realistic: {
    description:
      'shot + read noise (0.5 counts), dark level 1 count, carbon-support background (0.2 % of the beam, ∝ 1/cos θ), ' +
      'projection misalignment σ 0.2 Å, scan-row jitter σ 0.1 Å',
    model: { shotNoise: true, readNoiseCounts: 0.5, darkCounts: 1, supportScatterFraction: 0.002, misalignmentSigmaA: 0.2, scanJitterSigmaA: 0.1 },
  },
};

/** Names and one-line descriptions of the noise models. */
export function listNoiseModels(): { name: NoiseModelName; description: string }[] {
  return (Object.keys(NOISE_MODELS) as NoiseModelName[]).map((name) => ({ name, description: NOISE_MODELS[name].description }));
}

/**
 * A noise model by name, optionally with some parameters overridden.
 * @param name preset name, or a full model object
 * @param overrides fields replacing the preset's
 */
export function resolveNoiseModel(name: NoiseModelName | NoiseModel, overrides: Partial<NoiseModel> = {}): NoiseModel {
  let base: NoiseModel;
  if (typeof name === 'string') {
    const entry = NOISE_MODELS[name as NoiseModelName];
    if (!entry) throw new PannError('OPTION', `unknown noise model '${name}' (expected ${Object.keys(NOISE_MODELS).join(', ')})`, { field: 'noiseModel' });
    base = entry.model;
  } else base = name;
  const m = { ...base, ...overrides };
  for (const k of ['readNoiseCounts', 'darkCounts', 'supportScatterFraction', 'misalignmentSigmaA', 'scanJitterSigmaA'] as const) {
    if (!(Number.isFinite(m[k]) && m[k] >= 0)) throw new PannError('OPTION', `noise parameter ${k} must be a finite number ≥ 0, got ${m[k]}`, { field: k });
  }
  return m;
}
