/**
 * The light-atom weighting of the voxel loss: mean((1 + k·ℓ)(y − t)²), with ℓ a unit peak on every
 * atom lighter than the particle's heaviest species. Minority light atoms (Cu in Au, Fe in Pt) are
 * few and dim, so a plain MSE lets the networks shrink them towards the background; the weight makes
 * their voxels count k + 1 times.
 */
import type { AtomicModel, Shape3 } from '../core/types';
import { renderAtomicVolume } from '../sim/atomic-volume';
import { surfaceAtoms } from '../sim/neighbours';
import { targetWeights } from './data';

/** σ of the weight peaks, voxels (wider than the target's 0.8, to cover position jitter). */
export const LIGHT_SIGMA_VOXELS = 1.2;

/**
 * Unit peaks (σ = LIGHT_SIGMA_VOXELS) on every atom whose target peak is below 1, i.e. lighter than
 * the heaviest species; undefined when the particle has one species. With `surfaceWeight` s > 0 the
 * peaks of light atoms on the outer surface (`surfaceAtoms`) are 1 + s: the networks draw those
 * faint, poorly coordinated atoms lowest of all (see the GLARE card, "What the dose allows").
 * @param voxelSizeA voxel edge of the volume, Å
 * @param surfaceWeight extra height s of the outer light atoms' peaks (default 0)
 */
export function lightAtomMap(
  truth: AtomicModel,
  volumeShape: Shape3,
  voxelSizeA: number,
  surfaceWeight = 0,
): Float32Array | undefined {
  const weights = targetWeights([...new Set(truth.species)]);
  const light = Object.fromEntries(Object.entries(weights).map(([s, w]) => [s, w < 1 ? 1 : 0]));
  if (!Object.values(light).some((w) => w > 0)) return undefined;
  const render = (model: AtomicModel) =>
    renderAtomicVolume(model, {
      volumeShape,
      voxelSizeA,
      sigmaA: LIGHT_SIGMA_VOXELS * voxelSizeA,
      weightBySpecies: light,
    }).data;
  const map = render(truth);
  if (surfaceWeight > 0) {
    const outer = surfaceAtoms(truth.positionsA)
      .map((s, a) => (s && light[truth.species[a]] > 0 ? a : -1))
      .filter((a) => a >= 0);
    if (outer.length) {
      const extra = render({
        positionsA: Float64Array.from(
          outer.flatMap((a) => [0, 1, 2].map((d) => truth.positionsA[3 * a + d])),
        ),
        species: outer.map((a) => truth.species[a]),
      });
      for (let i = 0; i < map.length; i++) map[i] += surfaceWeight * extra[i];
    }
  }
  return map;
}

/**
 * Adds the weight's extra gradient field k·ℓ·(y − t) to `grad` in place, so that a plain MSE whose
 * target is shifted by it (see training.ts) has the gradient of the weighted MSE at output y.
 */
export function addLightAtomGradient(
  grad: Float32Array,
  light: Float32Array,
  y: Float32Array,
  target: Float32Array,
  k: number,
): void {
  for (let i = 0; i < grad.length; i++) grad[i] += k * light[i] * (y[i] - target[i]);
}
