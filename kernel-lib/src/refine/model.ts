/**
 * The two refinement networks, defined once in the IR (nn/): GLARE (residual 3D U-Net on local
 * patches + a global branch that sees the whole reconstruction downsampled to GLOBAL_EDGE³ and
 * modulates the bottleneck by FiLM, together with the acquisition geometry) and the baseline (the
 * same residual U-Net without the global branch). Both map a normalised reconstruction patch to the
 * atomic-volume patch.
 */
import { buildResUNet3d } from '../nn/resunet';
import type { Network } from '../nn/ir';
import { PannError } from '../core/errors';
import { ACQUISITION_FEATURES } from './acquisition';

export type RefineNet = 'glare' | 'unet';

/** Edge (voxels) of the downsampled whole volume the global branch sees. */
export const GLOBAL_EDGE = 32;

/** Architecture hyper-parameters stored with the weights. */
export interface RefineArch {
  kind: RefineNet;
  /** Channels per level, finest first. */
  widths: number[];
  /** Edge of the cubic training patch / inference tile in voxels (a multiple of 2^(levels−1)). */
  patchEdge: number;
  /**
   * GLARE only: the global branch also takes the acquisition features (refine/acquisition.ts: tilt
   * range and step, voxel edge) and its FiLM heads start at zero. Absent in weights made before
   * it existed (pooled volume only).
   */
  acquisition?: boolean;
}

export const DEFAULT_ARCH: Record<RefineNet, RefineArch> = {
  glare: { kind: 'glare', widths: [16, 32, 64], patchEdge: 32, acquisition: true },
  unet: { kind: 'unet', widths: [16, 32, 64], patchEdge: 32 },
};

/** Builds the IR network of an architecture. */
export function buildRefineNetwork(arch: RefineArch): Network {
  const div = 2 ** (arch.widths.length - 1);
  if (arch.patchEdge % div !== 0) throw new PannError('OPTION', `patchEdge ${arch.patchEdge} must be a multiple of ${div}`, { field: 'patchEdge' });
  const glare = arch.kind === 'glare';
  return buildResUNet3d({
    widths: arch.widths,
    globalBranch: glare,
    acquisitionInputs: glare && arch.acquisition ? ACQUISITION_FEATURES : 0,
    alpha: 0.1,
    name: arch.kind,
  });
}

/**
 * Input shapes of a refinement network for `batch` cubic patches of edge `edge` voxels: `volume`,
 * and for GLARE `global` (the whole volume at GLOBAL_EDGE³) and, with `arch.acquisition`, the
 * `acquisition` features — the one place training and inference learn which inputs a network takes.
 */
export function refineInputShapes(arch: RefineArch, batch: number, edge: number): Record<string, number[]> {
  const shapes: Record<string, number[]> = { volume: [batch, edge, edge, edge, 1] };
  if (arch.kind === 'glare') shapes.global = [batch, GLOBAL_EDGE, GLOBAL_EDGE, GLOBAL_EDGE, 1];
  if (arch.kind === 'glare' && arch.acquisition) shapes.acquisition = [batch, ACQUISITION_FEATURES];
  return shapes;
}
