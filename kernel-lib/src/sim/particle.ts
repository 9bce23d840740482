/**
 * Nanoparticle atomic models for simulation: lattice (or amorphous packing or twinned cluster) → shape →
 * chemical ordering → defects → strain and thermal displacement → orientation → placement at the
 * rotation centre of a volume frame (core/frame.ts rotationCentreA), positions in Å.
 *
 * Order of operations (it matters for reproducibility): the perfect particle is built and its species
 * assigned; surface atoms are found on the perfect particle; vacancies (any atom) and roughness (surface
 * atoms) are removed; the strain field and frozen thermal displacements move the survivors; the whole is
 * rotated about its centre and translated. The generator is forked once per random step, so changing one
 * perturbation does not reshuffle the others.
 */
import { PannError, assertPositive } from '../core/errors';
import { rotationCentreA } from '../core/frame';
import { createRng } from '../core/rng';
import type { AtomicModel, Shape3 } from '../core/types';
import { AMORPHOUS_DEFAULTS, randomClosePacking } from './amorphous';
import { applyRadialStrain, applyThermalDisplacement, keepAfterRoughening, keepAfterVacancies, surfaceMask } from './defects';
import { ELEMENT_LATTICE, defaultLatticeConstants, latticeSitesInSphere, nearestNeighbourA, type LatticeConstants, type LatticeKind } from './lattice';
import { coreShellSpecies, orderedSpecies, randomAlloySpecies, type OrderingKind } from './ordering';
import { orientationMatrix, rotateInPlace, type Orientation } from './orientation';
import { ICOSAHEDRON_RADIAL_RATIO, SHAPES, inoDecahedron, isTwinnedShape, mackayIcosahedron, shapePredicate, type ShapeKind } from './shapes';

/** Everything that defines a simulated particle. Lengths in Å. */
export interface ParticleOptions {
  /** 'fcc' | 'bcc' | 'hcp' | 'amorphous'; default: fcc for L1₀/L1₂, else the tabulated lattice of the first species. Ignored by twinned shapes (fcc-based). */
  lattice?: LatticeKind | 'amorphous';
  /** Pure particle species (element symbol); give this or `composition`. */
  species?: string;
  /**
   * Species → fraction for alloys. Key order matters for ordered alloys: L1₀ first key on z = 0 planes;
   * L1₂ first key = majority (face centres). For 'core-shell' give coreSpecies/shellSpecies instead.
   */
  composition?: Record<string, number>;
  /** Chemical ordering; default 'pure' for one species, 'random' for several. */
  ordering?: OrderingKind;
  /** Core–shell: core species. */
  coreSpecies?: string;
  /** Core–shell: shell species. */
  shellSpecies?: string;
  /** Core–shell: core radius / particle radius (0–1), default 0.5. */
  coreRadiusFraction?: number;
  /** Particle shape; `diameterA` is its circumscribed diameter. */
  shape: ShapeKind;
  /** Circumscribed (vertex-to-vertex) diameter in Å. */
  diameterA: number;
  /** Lattice constant a in Å; default from the element / alloy table (Vegard's law for random alloys). */
  latticeConstantA?: number;
  /** Lattice constant c in Å (L1₀ tetragonal or hcp); default a × the tabulated c/a (so c = a for cubic lattices). */
  latticeConstantCA?: number;
  /** Decahedron: equatorial corner truncation, 0.5–1 (1 = full pentagonal bipyramid), default 0.8. */
  decahedronTruncation?: number;
  /** Amorphous: number density in atoms/Å³ (default per element, Si 0.049). */
  amorphousDensityPerA3?: number;
  /** Amorphous: hard minimum interatomic distance in Å (default per element, Si 2.25). */
  minDistanceA?: number;
  /** Fraction (0–1) of all atoms removed at random. Default 0. */
  vacancyFraction?: number;
  /** Fraction (0–1) of surface atoms removed at random. Default 0. */
  surfaceRoughness?: number;
  /** Frozen thermal displacement, one-axis RMS in pm (Gaussian). Default 0. */
  thermalDisplacementPm?: number;
  /** Radial strain in percent at the surface (see defects.applyRadialStrain). Default 0. */
  strainPercent?: number;
  /** 'random' (seeded, uniform), 'zone-axis' (crystal axes = volume axes) or ZYZ Euler angles in degrees. Default 'random'. */
  orientation?: Orientation;
  /**
   * Volume frame [nz, ny, nx]; default: the smallest cube (side a multiple of 8) that holds the nominal particle
   * (diameterA/2, plus strain, plus 4× the thermal RMS) with `marginA` in every orientation — the same for every seed.
   */
  volumeShape?: Shape3;
  /** Voxel edge in Å of the volume frame. */
  voxelSizeA: number;
  /** Free space in Å required between any atom and the volume faces, in every orientation. Default 3. */
  marginA?: number;
}

/** What the builder decided, for reports and tests. */
export interface ParticleInfo {
  /** Lattice constants used (Å); for amorphous particles the lattice is reported as 'fcc' with a = NaN. */
  lattice: LatticeConstants | 'amorphous';
  /** Target nearest-neighbour distance in Å (lattice value, twinned cluster spacing, or amorphous minimum distance). */
  nearestNeighbourA: number;
  /** Atoms before vacancies and roughness. */
  perfectAtomCount: number;
  /** Largest atom distance from the particle centre, after all perturbations (Å). */
  circumradiusA: number;
  /** The volume frame used. */
  volumeShape: Shape3;
  voxelSizeA: number;
  /** Particle centre (Å) = rotation centre of the volume frame. */
  centreA: [number, number, number];
}

/**
 * Builds a nanoparticle atomic model.
 * @param opts particle description (lengths in Å, displacement in pm, strain in %)
 * @param seed integer seed; the same seed and options give the identical model
 * @returns the model (positions in Å in the volume frame, `cellA` = volume edges) — see buildParticleWithInfo for details
 */
export function buildParticle(opts: ParticleOptions, seed: number): AtomicModel {
  return buildParticleWithInfo(opts, seed).model;
}

/** As buildParticle, also returning what was decided (lattice constants, volume frame, counts). */
export function buildParticleWithInfo(opts: ParticleOptions, seed: number): { model: AtomicModel; info: ParticleInfo } {
  assertPositive(opts.diameterA, 'diameterA (Å)');
  assertPositive(opts.voxelSizeA, 'voxelSizeA (Å)');
  if (!SHAPES.includes(opts.shape)) throw new PannError('OPTION', `unknown shape '${opts.shape}' (expected one of ${SHAPES.join(', ')})`, { field: 'shape' });
  const rng = createRng(seed);
  const rngPacking = rng.fork(),
    rngSpecies = rng.fork(),
    rngVacancy = rng.fork(),
    rngRough = rng.fork(),
    rngThermal = rng.fork(),
    rngOrient = rng.fork();

  const composition = resolveComposition(opts);
  const speciesList = Object.keys(composition);
  const ordering: OrderingKind = opts.ordering ?? (opts.coreSpecies ? 'core-shell' : speciesList.length === 1 ? 'pure' : 'random');
  const lattice = opts.lattice ?? (ordering === 'L10' || ordering === 'L12' ? 'fcc' : undefined) ?? ELEMENT_LATTICE[speciesList[0]]?.lattice ?? (AMORPHOUS_DEFAULTS[speciesList[0]] ? 'amorphous' : 'fcc');
  const R = opts.diameterA / 2;

  // 1. Perfect particle, centred at the origin.
  let positions: Float64Array;
  let sublattice: Uint8Array | undefined;
  let nn: number;
  let lc: LatticeConstants | 'amorphous';
  let bulkCoordination = 12;
  let cutoff: number;
  if (lattice === 'amorphous') {
    if (isTwinnedShape(opts.shape)) throw new PannError('OPTION', `an amorphous particle cannot be a ${opts.shape}; use a sphere or a faceted shape`, { field: 'shape' });
    const def = AMORPHOUS_DEFAULTS[speciesList[0]] ?? AMORPHOUS_DEFAULTS.Si;
    const density = opts.amorphousDensityPerA3 ?? def.numberDensityPerA3;
    nn = opts.minDistanceA ?? def.minDistanceA;
    assertPositive(density, 'amorphousDensityPerA3 (atoms/Å³)');
    assertPositive(nn, 'minDistanceA (Å)');
    positions = randomClosePacking(shapePredicate(opts.shape, opts.diameterA), R, shapeVolumeA3(opts.shape, R), density, nn, rngPacking);
    lc = 'amorphous';
    cutoff = 1.2 * nn;
    bulkCoordination = -1; // outer-shell rule below
  } else {
    if (!['fcc', 'bcc', 'hcp'].includes(lattice)) throw new PannError('OPTION', `unknown lattice '${lattice}' (fcc, bcc, hcp, amorphous)`, { field: 'lattice' });
    const twinned = isTwinnedShape(opts.shape);
    const base = defaultLatticeConstants(twinned ? 'fcc' : lattice, composition, ordering);
    const a = opts.latticeConstantA ?? base.aA;
    // An overridden a keeps the tabulated c/a (1 for cubic, tetragonal for L1₀, hexagonal for hcp).
    const c = opts.latticeConstantCA ?? (a * base.cA) / base.aA;
    assertPositive(a, 'latticeConstantA (Å)');
    assertPositive(c, 'latticeConstantCA (Å)');
    lc = { lattice: twinned ? 'fcc' : base.lattice, aA: a, cA: c };
    nn = nearestNeighbourA(lc);
    if (twinned) {
      if (ordering === 'L10' || ordering === 'L12') {
        throw new PannError('OPTION', `ordering '${ordering}' needs a single-crystal shape, not a ${opts.shape}`, { field: 'ordering' });
      }
      positions = opts.shape === 'icosahedron' ? buildIcosahedron(R, nn) : buildDecahedron(R, nn, opts.decahedronTruncation ?? 0.8);
    } else {
      const sites = latticeSitesInSphere(lc, R + 1e-6);
      const inside = shapePredicate(opts.shape, opts.diameterA);
      const keep: number[] = [];
      for (let s = 0; s < sites.sublattice.length; s++) if (inside(sites.positionsA[3 * s], sites.positionsA[3 * s + 1], sites.positionsA[3 * s + 2])) keep.push(s);
      positions = new Float64Array(3 * keep.length);
      sublattice = new Uint8Array(keep.length);
      keep.forEach((s, q) => {
        positions.set(sites.positionsA.subarray(3 * s, 3 * s + 3), 3 * q);
        sublattice![q] = sites.sublattice[s];
      });
      if (lc.lattice === 'bcc') bulkCoordination = 8;
    }
    // Between the first (nn) and second (√2·nn fcc/hcp, 1.155·nn bcc) neighbour shells.
    cutoff = (lc.lattice === 'bcc' ? 1.08 : 1.2) * nn;
  }
  const nPerfect = positions.length / 3;
  if (nPerfect === 0) throw new PannError('OPTION', `a ${opts.shape} of diameter ${opts.diameterA} Å holds no atoms`, { field: 'diameterA' });

  // 2. Species.
  let species: string[];
  switch (ordering) {
    case 'pure':
      if (speciesList.length !== 1) throw new PannError('OPTION', `ordering 'pure' needs one species, got ${speciesList.join(', ')}`, { field: 'ordering' });
      species = new Array<string>(nPerfect).fill(speciesList[0]);
      break;
    case 'random':
      species = randomAlloySpecies(composition, nPerfect, rngSpecies);
      break;
    case 'L10':
    case 'L12':
      if (!sublattice || lc === 'amorphous' || lc.lattice !== 'fcc') throw new PannError('OPTION', `ordering '${ordering}' needs an fcc lattice`, { field: 'ordering' });
      if (speciesList.length !== 2) throw new PannError('OPTION', `ordering '${ordering}' needs exactly two species in composition`, { field: 'composition' });
      species = orderedSpecies(ordering, sublattice, speciesList[0], speciesList[1]);
      break;
    case 'core-shell':
      if (!opts.coreSpecies || !opts.shellSpecies) throw new PannError('OPTION', `ordering 'core-shell' needs coreSpecies and shellSpecies`, { field: 'coreSpecies' });
      species = coreShellSpecies(positions, opts.coreSpecies, opts.shellSpecies, opts.coreRadiusFraction ?? 0.5);
      break;
    default:
      throw new PannError('OPTION', `unknown ordering '${ordering}' (pure, random, L10, L12, core-shell)`, { field: 'ordering' });
  }

  // 3. Vacancies and surface roughness, both decided on the perfect particle.
  checkFraction(opts.vacancyFraction, 'vacancyFraction');
  checkFraction(opts.surfaceRoughness, 'surfaceRoughness');
  const keepV = keepAfterVacancies(nPerfect, opts.vacancyFraction ?? 0, rngVacancy);
  let keepR = new Uint8Array(nPerfect).fill(1);
  if ((opts.surfaceRoughness ?? 0) > 0) {
    const surface = bulkCoordination > 0 ? surfaceMask(positions, cutoff, bulkCoordination) : outerShellMask(positions, opts.shape, opts.diameterA, nn);
    keepR = keepAfterRoughening(surface, opts.surfaceRoughness ?? 0, rngRough);
  }
  let nKeep = 0;
  for (let a = 0; a < nPerfect; a++) if (keepV[a] && keepR[a]) nKeep++;
  const pos = new Float64Array(3 * nKeep);
  const spKept: string[] = [];
  for (let a = 0, q = 0; a < nPerfect; a++)
    if (keepV[a] && keepR[a]) {
      pos.set(positions.subarray(3 * a, 3 * a + 3), 3 * q++);
      spKept.push(species[a]);
    }

  // 4. Strain, thermal displacement, orientation.
  if (opts.strainPercent) applyRadialStrain(pos, opts.strainPercent);
  if (opts.thermalDisplacementPm !== undefined && !(opts.thermalDisplacementPm >= 0)) {
    throw new PannError('OPTION', `thermalDisplacementPm must be ≥ 0 pm, got ${opts.thermalDisplacementPm}`, { field: 'thermalDisplacementPm' });
  }
  applyThermalDisplacement(pos, opts.thermalDisplacementPm ?? 0, rngThermal);
  rotateInPlace(pos, orientationMatrix(opts.orientation ?? 'random', rngOrient));

  // 5. Placement at the rotation centre of the volume frame; it must fit in every orientation.
  let rMax = 0;
  for (let a = 0; a < nKeep; a++) rMax = Math.max(rMax, Math.hypot(pos[3 * a], pos[3 * a + 1], pos[3 * a + 2]));
  const margin = opts.marginA ?? 3;
  const v = opts.voxelSizeA;
  // The automatic frame depends only on the nominal size (not on the random draws), so every seed gets the same shape.
  const nominalR = R * (1 + Math.max(0, opts.strainPercent ?? 0) / 200) + (4 * (opts.thermalDisplacementPm ?? 0)) / 100;
  const volumeShape = opts.volumeShape ?? autoVolumeShape(Math.max(nominalR, rMax), margin, v);
  checkFits(volumeShape, v, rMax, margin);
  const centre = rotationCentreA(volumeShape, v);
  for (let a = 0; a < nKeep; a++) for (let d = 0; d < 3; d++) pos[3 * a + d] += centre[d];

  const model: AtomicModel = { positionsA: pos, species: spKept, cellA: [volumeShape[2] * v, volumeShape[1] * v, volumeShape[0] * v] };
  const info: ParticleInfo = { lattice: lc, nearestNeighbourA: nn, perfectAtomCount: nPerfect, circumradiusA: rMax, volumeShape, voxelSizeA: v, centreA: centre };
  return { model, info };
}

/** Smallest cube [n, n, n] (n a multiple of 8) whose rotation centre has `rMax + marginA` of room on every side. */
export function autoVolumeShape(rMaxA: number, marginA: number, voxelSizeA: number): Shape3 {
  // Centre at n/2 (n even) leaves n/2 − 1 voxels on the high side.
  const n = Math.ceil((2 * ((rMaxA + marginA) / voxelSizeA + 1)) / 8) * 8;
  return [n, n, n];
}

function checkFits(shape: Shape3, voxelSizeA: number, rMaxA: number, marginA: number): void {
  if (!Array.isArray(shape) || shape.length !== 3 || !shape.every((s) => Number.isInteger(s) && s > 0)) {
    throw new PannError('SHAPE', `volumeShape must be [nz, ny, nx] positive integers, got ${JSON.stringify(shape)}`, { field: 'volumeShape' });
  }
  const c = rotationCentreA(shape, voxelSizeA);
  const room = Math.min(...[0, 1, 2].map((d) => Math.min(c[d], (shape[2 - d] - 1) * voxelSizeA - c[d])));
  if (rMaxA + marginA > room + 1e-9) {
    const need = autoVolumeShape(rMaxA, marginA, voxelSizeA)[0];
    throw new PannError(
      'SHAPE',
      `particle does not fit: its circumscribed radius is ${rMaxA.toFixed(2)} Å plus a ${marginA} Å margin, but volume [${shape.join(', ')}] ` +
        `at ${voxelSizeA} Å/voxel leaves only ${room.toFixed(2)} Å from the rotation centre to the nearest face; use at least ${need} voxels per side or a smaller diameterA`,
      { field: 'volumeShape' },
    );
  }
}

function resolveComposition(opts: ParticleOptions): Record<string, number> {
  if (opts.ordering === 'core-shell' || (opts.coreSpecies && opts.shellSpecies && !opts.composition && !opts.species)) {
    if (!opts.coreSpecies || !opts.shellSpecies) throw new PannError('OPTION', `core-shell needs coreSpecies and shellSpecies`, { field: 'coreSpecies' });
    const f = opts.coreRadiusFraction ?? 0.5;
    // Volume fractions only set the Vegard lattice constant.
    return { [opts.shellSpecies]: 1 - f ** 3, [opts.coreSpecies]: f ** 3 };
  }
  if (opts.composition && Object.keys(opts.composition).length > 0) return opts.composition;
  if (opts.species) return { [opts.species]: 1 };
  throw new PannError('OPTION', 'give species (pure particle) or composition (alloy)', { field: 'species' });
}

function checkFraction(v: number | undefined, field: string): void {
  if (v !== undefined && !(v >= 0 && v <= 1)) throw new PannError('OPTION', `${field} must be in [0, 1], got ${v}`, { field });
}

/** Volume (Å³) of a lattice-cut shape of circumradius R (Å). */
export function shapeVolumeA3(shape: ShapeKind, R: number): number {
  switch (shape) {
    case 'sphere':
      return (4 / 3) * Math.PI * R ** 3;
    case 'cube':
      return (2 * R / Math.sqrt(3)) ** 3;
    case 'octahedron':
      return (4 / 3) * R ** 3;
    case 'cuboctahedron':
      return ((5 * Math.SQRT2) / 3) * R ** 3; // edge = circumradius
    case 'truncated-octahedron':
      return 32 * (R / Math.sqrt(5)) ** 3;
    default:
      throw new PannError('OPTION', `no volume formula for shape '${shape}'`, { field: 'shape' });
  }
}

/** Mackay icosahedron with as many closed shells as fit in radius R; average spacing ≈ nn (radial 0.975·nn, tangential 1.025·nn). */
function buildIcosahedron(R: number, nn: number): Float64Array {
  const edge = nn / Math.sqrt(ICOSAHEDRON_RADIAL_RATIO);
  const shells = Math.floor((R + 1e-6) / (edge * ICOSAHEDRON_RADIAL_RATIO));
  return mackayIcosahedron(shells, edge);
}

/** Largest decahedron whose circumradius is ≤ R; spacing chosen so its nn distances straddle nn (−0.7 % … +0.7 %). */
function buildDecahedron(R: number, nn: number, truncation: number): Float64Array {
  if (!(truncation >= 0.5 && truncation <= 1)) throw new PannError('OPTION', `decahedronTruncation must be in [0.5, 1], got ${truncation}`, { field: 'decahedronTruncation' });
  const spacing = nn / Math.sqrt(0.98669);
  for (let n = Math.max(1, Math.ceil((2 * R) / spacing)); n >= 1; n--) {
    const p = inoDecahedron(n, spacing, truncation);
    let rMax = 0;
    for (let a = 0; a < p.length; a += 3) rMax = Math.max(rMax, Math.hypot(p[a], p[a + 1], p[a + 2]));
    if (rMax <= R + 1e-6) return p;
  }
  return new Float64Array(0);
}

/**
 * Surface for amorphous particles (no bulk coordination to compare with): atoms outside the same shape
 * shrunk by one atomic layer (1.1 × the minimum distance) — the outer shell.
 */
function outerShellMask(positionsA: Float64Array, shape: ShapeKind, diameterA: number, minDistanceA: number): Uint8Array {
  const inner = shapePredicate(shape, Math.max(0, diameterA - 2 * 1.1 * minDistanceA));
  const n = positionsA.length / 3;
  const out = new Uint8Array(n);
  for (let a = 0; a < n; a++) out[a] = inner(positionsA[3 * a], positionsA[3 * a + 1], positionsA[3 * a + 2]) ? 0 : 1;
  return out;
}
