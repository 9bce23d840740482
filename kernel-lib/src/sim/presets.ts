/**
 * Named simulation presets: a particle, a volume frame and an acquisition. Sizes are chosen so atoms are
 * ≈ 3.5–5 voxels apart (nearest neighbour / voxel), volumes are 64³ (a power of two, FFT friendly), and a
 * reconstruction (O(nAngles · N³) per iteration) stays fast on 2 cores.
 *
 * | preset | particle | atoms (seed 0) | voxel | volume | angles | total dose e⁻/Å² | noise |
 * | --- | --- | --- | --- | --- | --- | --- | --- |
 * | fept-lowdose | L1₀ FePt truncated octahedron, 3.0 nm | ≈ 730 | 0.75 Å | 64³ | 60, −70…+70° | 1e4 | realistic |
 * | pt-highdose | Pt cuboctahedron, 3.4 nm | ≈ 900 | 0.7 Å | 64³ | 60, −90…+87° (3°) | 1e6 | poisson |
 * | pt-wedge | as pt-highdose | ≈ 900 | 0.7 Å | 64³ | 47, −70…+68° (3°) | 1e6 | poisson |
 * | asi-like | amorphous Si sphere, 2.0 nm | ≈ 205 | 0.45 Å | 64³ | 60, 0…177° (3°), no wedge | 1.6e4 | poisson |
 * | hea | PtPdNiFe equimolar random fcc alloy, truncated octahedron 3.4 nm | ≈ 1265 | 0.7 Å | 64³ | 60, −70…+70° | 5e4 | realistic |
 * | pt-icosahedron | Pt Mackay icosahedron, 5 closed shells, 3.2 nm | 561 | 0.7 Å | 64³ | 60, −70…+70° | 1e4 | realistic |
 * | au-decahedron | Au Ino decahedron, 3.4 nm | ≈ 575 | 0.75 Å | 64³ | 60, −70…+70° | 3e4 | realistic |
 * | ptni-coreshell | Ni core / Pt shell sphere, 3.2 nm | ≈ 1205 | 0.7 Å | 64³ | 60, −70…+70° | 2e4 | realistic |
 *
 * Atom counts vary a little with the seed (orientation does not matter; surface roughness and vacancies do).
 * See README.md in this folder for timings and the signal scale.
 */
import { PannError } from '../core/errors';
import type { Shape3 } from '../core/types';
import type { ParticleOptions } from './particle';
import type { AcquisitionOptions } from './tilt-series';

/** Particle options without the volume frame (that is set once per simulation). */
export type ParticleSpec = Omit<ParticleOptions, 'volumeShape' | 'voxelSizeA'>;

/** A named simulation set-up. */
export interface SimulationPreset {
  /** One-line description. */
  description: string;
  /** Voxel edge in Å (= detector pixel). */
  voxelSizeA: number;
  /** Volume frame [nz, ny, nx]. */
  volumeShape: Shape3;
  particle: ParticleSpec;
  acquisition: AcquisitionOptions;
}

const LOW_TILT: Pick<AcquisitionOptions, 'tiltRangeDeg' | 'nAngles'> = { tiltRangeDeg: [-70, 70], nAngles: 60 };

const PT_HIGHDOSE_PARTICLE: ParticleSpec = {
  species: 'Pt',
  shape: 'cuboctahedron',
  diameterA: 34,
  thermalDisplacementPm: 5,
  surfaceRoughness: 0.05,
  orientation: 'random',
};

export const PRESETS: Readonly<Record<string, SimulationPreset>> = {
  'fept-lowdose': {
    description: 'README demo: 3 nm L1₀ FePt truncated octahedron, 60 tilts −70…+70°, total 1e4 e⁻/Å², realistic noise',
    voxelSizeA: 0.5,
    volumeShape: [80, 80, 80],
    particle: {
      composition: { Fe: 0.5, Pt: 0.5 },
      ordering: 'L10',
      shape: 'truncated-octahedron',
      diameterA: 30,
      thermalDisplacementPm: 5,
      surfaceRoughness: 0.05,
      orientation: 'random',
    },
    // An aberration-corrected probe (σ 0.35 Å ≈ 0.8 Å FWHM): with the default 0.5 Å probe and 0.75 Å voxels
    // the Fe (001) planes 1.85 Å from Pt are not resolved even without noise (Fe found 3 %, measured).
    acquisition: { ...LOW_TILT, totalDoseEPerA2: 1e4, noiseModel: 'realistic', probeSigmaA: 0.35 },
  },
  'pt-highdose': {
    description: 'Pt cuboctahedron 3.4 nm, full ±90° range (60 tilts, 3°), total 1e6 e⁻/Å², shot noise only',
    voxelSizeA: 0.7,
    volumeShape: [64, 64, 64],
    particle: PT_HIGHDOSE_PARTICLE,
    acquisition: { tiltRangeDeg: [-90, 87], tiltStepDeg: 3, totalDoseEPerA2: 1e6, noiseModel: 'poisson' },
  },
  'pt-wedge': {
    description: 'as pt-highdose but −70…+68° (47 tilts, 3°): the missing wedge alone',
    voxelSizeA: 0.7,
    volumeShape: [64, 64, 64],
    particle: PT_HIGHDOSE_PARTICLE,
    acquisition: { tiltRangeDeg: [-70, 70], tiltStepDeg: 3, totalDoseEPerA2: 1e6, noiseModel: 'poisson' },
  },
  'asi-like': {
    description: 'amorphous Si sphere 2 nm (≈205 atoms), θ = 0…177° in 3° steps (no wedge), total 1.6e4 e⁻/Å², shot noise',
    voxelSizeA: 0.45,
    volumeShape: [64, 64, 64],
    particle: { species: 'Si', lattice: 'amorphous', shape: 'sphere', diameterA: 20, orientation: 'random' },
    acquisition: { tiltRangeDeg: [0, 177], tiltStepDeg: 3, totalDoseEPerA2: 1.6e4, noiseModel: 'poisson' },
  },
  hea: {
    description: 'equimolar PtPdNiFe random fcc alloy (high-entropy), truncated octahedron 3.4 nm, 60 tilts ±70°, 5e4 e⁻/Å², realistic',
    voxelSizeA: 0.7,
    volumeShape: [64, 64, 64],
    particle: {
      composition: { Pt: 0.25, Pd: 0.25, Ni: 0.25, Fe: 0.25 },
      ordering: 'random',
      lattice: 'fcc',
      shape: 'truncated-octahedron',
      diameterA: 34,
      thermalDisplacementPm: 6,
      surfaceRoughness: 0.05,
      orientation: 'random',
    },
    acquisition: { ...LOW_TILT, totalDoseEPerA2: 5e4, noiseModel: 'realistic' },
  },
  'pt-icosahedron': {
    description: 'Pt Mackay icosahedron (561 atoms, multiply twinned), 60 tilts ±70°, 1e4 e⁻/Å², realistic',
    voxelSizeA: 0.7,
    volumeShape: [64, 64, 64],
    particle: { species: 'Pt', shape: 'icosahedron', diameterA: 32, thermalDisplacementPm: 5, orientation: 'random' },
    acquisition: { ...LOW_TILT, totalDoseEPerA2: 1e4, noiseModel: 'realistic' },
  },
  'au-decahedron': {
    description: 'Au Ino-type decahedron 3.4 nm (five-fold twinned), 60 tilts ±70°, 3e4 e⁻/Å², realistic',
    voxelSizeA: 0.75,
    volumeShape: [64, 64, 64],
    particle: { species: 'Au', shape: 'decahedron', diameterA: 34, thermalDisplacementPm: 6, orientation: 'random' },
    acquisition: { ...LOW_TILT, totalDoseEPerA2: 3e4, noiseModel: 'realistic' },
  },
  'ptni-coreshell': {
    description: 'Ni-core / Pt-shell sphere 3.2 nm (core radius 0.6), 60 tilts ±70°, 2e4 e⁻/Å², realistic',
    voxelSizeA: 0.7,
    volumeShape: [64, 64, 64],
    particle: {
      ordering: 'core-shell',
      coreSpecies: 'Ni',
      shellSpecies: 'Pt',
      coreRadiusFraction: 0.6,
      lattice: 'fcc',
      shape: 'sphere',
      diameterA: 32,
      thermalDisplacementPm: 5,
      strainPercent: 1,
      orientation: 'random',
    },
    acquisition: { ...LOW_TILT, totalDoseEPerA2: 2e4, noiseModel: 'realistic' },
  },
};

/** The default preset (the README demo). */
export const DEFAULT_PRESET = 'fept-lowdose';

/** Preset names with one-line descriptions. */
export function listPresets(): { name: string; description: string }[] {
  return Object.entries(PRESETS).map(([name, p]) => ({ name, description: p.description }));
}

/** A deep copy of a preset (safe to modify); throws naming the known presets when `name` is unknown. */
export function getPreset(name: string): SimulationPreset {
  const p = PRESETS[name];
  if (!p) throw new PannError('OPTION', `unknown simulation preset '${name}' (expected one of ${Object.keys(PRESETS).join(', ')})`, { field: 'preset' });
  return structuredClone(p) as SimulationPreset;
}
