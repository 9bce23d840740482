/**
 * Inference of the refinement networks on volumes of any size: the volume is normalised by its robust
 * scale, the global branch (GLARE) sees the whole normalised volume resampled to GLOBAL_EDGE³, and
 * the local branch runs on halo tiles whose cores are kept and blended (nn/tiling.ts). The output
 * is clamped at zero (the positivity the loss trains for is then also guaranteed) and is in
 * atomic-volume units: a peak of height ≈ 1 for the heaviest species, (Z/Z_max)^0.85 for lighter ones.
 */
import * as fs from 'fs';
import * as path from 'path';
import { PannError } from '../core/errors';
import type { EulerZYZDeg, ProgressCallback, Shape3, TiltSeries, Volume } from '../core/types';
import type { Network, WeightMap } from '../nn/ir';
import { OrtNetwork } from '../nn/ort-exec';
import { runHaloTiled } from '../nn/tiling';
import { loadTfjsWeights } from '../nn/weights-io';
import { GLOBAL_EDGE, buildRefineNetwork, refineInputShapes, type RefineArch, type RefineNet } from './model';
import { physicsContext } from './physics';
import { ACQUISITION_FEATURES, acquisitionFeatures, mirroredAcquisition } from './acquisition';
import { flipVolume, resampleAreaAverage, resampleToCube, resampleTrilinear, robustScale } from './volume-ops';

/** A loaded refinement model. */
export interface RefineModel {
  arch: RefineArch;
  net: Network;
  weights: WeightMap;
  /** What refine.json says about the training (steps, time, command). */
  info: Record<string, unknown>;
}

/** Where shipped weights live: `models/<kind>` at the repository root (or beside the package), or $PANN_MODELS_DIR/<kind>. */
export function defaultModelDir(kind: RefineNet): string {
  const candidates = [
    ...(process.env.PANN_MODELS_DIR ? [path.join(process.env.PANN_MODELS_DIR, kind)] : []),
    path.resolve(__dirname, '../../../models', kind),
    path.resolve(__dirname, '../../models', kind),
  ];
  return (
    candidates.find((c) => fs.existsSync(path.join(c, 'model.json'))) ?? candidates[candidates.length - 2]
  );
}

/** Loads `model.json` + `weights.bin` + `refine.json` from a model folder. */
export async function loadRefineModel(dir: string): Promise<RefineModel> {
  const infoPath = path.join(dir, 'refine.json');
  if (!fs.existsSync(path.join(dir, 'model.json')))
    throw new PannError('FORMAT', `no trained weights: model.json missing in ${dir}`, {
      file: path.join(dir, 'model.json'),
    });
  let info: Record<string, unknown>;
  try {
    info = JSON.parse(fs.readFileSync(infoPath, 'utf8'));
  } catch (e) {
    throw new PannError('FORMAT', `cannot read refine.json: ${(e as Error).message}`, { file: infoPath });
  }
  const arch = info.arch as RefineArch;
  if (!arch || (arch.kind !== 'glare' && arch.kind !== 'unet'))
    throw new PannError('FORMAT', 'refine.json: arch.kind must be glare or unet', {
      file: infoPath,
      field: 'arch',
    });
  const net = buildRefineNetwork(arch);
  const { weights } = await loadTfjsWeights(path.join(dir, 'model.json'), net);
  return { arch, net, weights, info };
}

/** Options of the low-level network run. */
export interface RunNetworkOptions {
  /** Tile edge in voxels (multiple of 4; default: the volume's largest edge rounded up to 4, at most 96). */
  tileEdge?: number;
  /** Context discarded on interior tile faces, voxels (default 16, or tileEdge / 4 when smaller). */
  haloVoxels?: number;
  /** Overlap of neighbouring tile cores, blended with ramps, voxels (default 4). */
  blendVoxels?: number;
  /** ORT intra-op threads (default 2). */
  threads?: number;
  /** GLARE with an acquisition input: the features of refine/acquisition.ts (default: geometry unknown, voxel 0.575 Å). */
  acquisition?: Float32Array;
  /**
   * Test-time augmentation: run the network on the 8 mirror images of the volume (flips of z, y, x;
   * the tilt range mirrored to match, refine/acquisition.ts) and average the 8 outputs mapped back.
   * 8× the time; default false.
   */
  flipEnsemble?: boolean;
  onProgress?: ProgressCallback;
}

/**
 * Runs a network on an already normalised volume (network units in and out, no clamp).
 * @param x normalised volume, C order `shape`
 */
export async function runRefineNetwork(
  model: Pick<RefineModel, 'arch' | 'net' | 'weights'>,
  x: Float32Array,
  shape: Shape3,
  opts: RunNetworkOptions = {},
): Promise<Float32Array> {
  const div = 2 ** (model.arch.widths.length - 1);
  const e = opts.tileEdge ?? Math.min(96, Math.ceil(Math.max(...shape) / div) * div);
  if (e % div !== 0)
    throw new PannError('OPTION', `tileEdge ${e} must be a multiple of ${div}`, { field: 'tileEdge' });
  const shapes = refineInputShapes(model.arch, 1, e);
  const acquisition = opts.acquisition ?? new Float32Array(ACQUISITION_FEATURES);
  if (shapes.acquisition && acquisition.length !== ACQUISITION_FEATURES)
    throw new PannError(
      'SHAPE',
      `acquisition has ${acquisition.length} features, the network takes ${ACQUISITION_FEATURES}`,
      { field: 'acquisition' },
    );
  const masks = opts.flipEnsemble ? [0, 1, 2, 3, 4, 5, 6, 7] : [0];
  const session = await OrtNetwork.create(model.net, model.weights, shapes, {
    provider: 'cpu',
    threads: opts.threads ?? 2,
  });
  try {
    const out = model.net.outputs[0];
    // one pass: the output itself; an ensemble: the running sum (no extra copies of a large volume otherwise)
    let sum: Float32Array | undefined;
    for (const [m, mask] of masks.entries()) {
      // every flip is an involution: flip the input, run, flip the output back
      const xm = mask ? x.slice() : x;
      flipVolume(xm, shape, mask);
      const extra: Record<string, { data: Float32Array; shape: number[] }> = {};
      if (shapes.global) extra.global = { data: resampleToCube(xm, shape, GLOBAL_EDGE), shape: shapes.global };
      if (shapes.acquisition)
        extra.acquisition = { data: mirroredAcquisition(acquisition, mask), shape: shapes.acquisition };
      const ym = await runHaloTiled(
        xm,
        shape,
        async (tile) => {
          const res = await session.run({ volume: { data: tile, shape: shapes.volume }, ...extra });
          return res[out].data;
        },
        {
          tileEdge: e,
          haloVoxels: opts.haloVoxels ?? Math.min(16, e / 4),
          blendVoxels: opts.blendVoxels ?? 4,
          onProgress: opts.onProgress
            ? (ev) => opts.onProgress!({ ...ev, done: m * ev.total + ev.done, total: masks.length * ev.total })
            : undefined,
        },
      );
      flipVolume(ym, shape, mask);
      if (!sum) sum = ym;
      else for (let i = 0; i < sum.length; i++) sum[i] += ym[i];
    }
    if (masks.length > 1) for (let i = 0; i < sum!.length; i++) sum![i] /= masks.length;
    return sum!;
  } finally {
    await session.release();
  }
}

/** Options of refineVolume. */
export interface RefineVolumeOptions extends RunNetworkOptions {
  /** Which network (default 'glare'). */
  method?: RefineNet;
  /** Folder with model.json, weights.bin, refine.json (default the shipped `models/<method>`). */
  modelDir?: string;
  /** An already loaded model (wins over modelDir). */
  model?: RefineModel;
  /**
   * The background-subtracted tilt series the volume was reconstructed from. When given, the relative
   * re-projection residual of the refined volume (the projection-consistency term of the loss) is
   * reported through onProgress (stage 'refine', message). The volume itself does not depend on it.
   */
  tiltsForPhysics?: TiltSeries;
  /**
   * Tilt angles of the series (ZYZ Euler triples, degrees): GLARE's global branch uses the tilt range
   * and step (the missing wedge). Default: those of `tiltsForPhysics`; without either GLARE runs with
   * "geometry unknown" (trained for too, a little less accurate). Ignored by the U-Net.
   */
  tiltAnglesDeg?: EulerZYZDeg[];
  /**
   * The networks were trained on voxels of TRAINED_VOXEL_RANGE_A; a volume with voxels outside it is
   * resampled (trilinear) to the nearest end of the range, refined, and resampled back ('auto',
   * default), or refined as it is ('none').
   */
  resample?: 'auto' | 'none';
}

/** Voxel edges (Å) the shipped networks were trained on (data.ts draws 0.4–0.75 Å). */
export const TRAINED_VOXEL_RANGE_A: [number, number] = [0.4, 0.75];

/**
 * Refines a reconstruction with GLARE (or the plain U-Net baseline) into an atomic volume.
 * @param volume reconstruction (any size, any units; voxel size kept)
 * @returns the refined volume, same shape and voxel size, atomic-volume units (≥ 0)
 */
export async function refineVolume(volume: Volume, opts: RefineVolumeOptions = {}): Promise<Volume> {
  const method = opts.method ?? 'glare';
  if (method !== 'glare' && method !== 'unet')
    throw new PannError('OPTION', `refine method must be 'glare' or 'unet', got '${method}'`, {
      field: 'method',
    });
  if (volume.data.length !== volume.shape[0] * volume.shape[1] * volume.shape[2])
    throw new PannError('SHAPE', `volume has ${volume.data.length} voxels, shape [${volume.shape}]`, {
      field: 'volume',
    });
  const model = opts.model ?? (await loadRefineModel(opts.modelDir ?? defaultModelDir(method)));
  const anglesDeg = opts.tiltAnglesDeg ?? opts.tiltsForPhysics?.anglesDeg;
  const v = volume.voxelSizeA;
  const [lo, hi] = TRAINED_VOXEL_RANGE_A;
  if ((opts.resample ?? 'auto') === 'auto' && (v < lo || v > hi)) {
    // refine on a grid the network knows, then bring the result back to the caller's grid
    const target = v < lo ? lo : hi;
    const f = target / v;
    const small = volume.shape.map((n) => Math.max(1, Math.floor((n - 1) / f) + 1)) as Shape3;
    const coarse: Volume = {
      // down-sampling averages the input voxels (point sampling would keep 1 in f³ and their noise)
      data: (f > 1 ? resampleAreaAverage : resampleTrilinear)(volume.data, volume.shape, small, f),
      shape: small,
      voxelSizeA: target,
    };
    const refined = await refineVolume(coarse, {
      ...opts,
      model,
      resample: 'none',
      tiltsForPhysics: undefined,
      tiltAnglesDeg: anglesDeg,
    });
    const back = resampleTrilinear(refined.data, small, volume.shape, 1 / f);
    return { data: back, shape: [...volume.shape] as Shape3, voxelSizeA: v };
  }
  const scale = robustScale(volume.data);
  const x = new Float32Array(volume.data.length);
  for (let i = 0; i < x.length; i++) x[i] = volume.data[i] / scale;
  const y = await runRefineNetwork(model, x, volume.shape, {
    ...opts,
    acquisition: acquisitionFeatures(anglesDeg, volume.voxelSizeA),
    onProgress: opts.onProgress ? (ev) => opts.onProgress!({ ...ev, stage: 'refine' }) : undefined,
  });
  for (let i = 0; i < y.length; i++) if (!(y[i] > 0)) y[i] = 0;
  if (opts.tiltsForPhysics && opts.onProgress) {
    const t = opts.tiltsForPhysics;
    const ctx = physicsContext(t, y, volume.shape);
    const r = ctx.projector.forward(y);
    let rr = 0,
      bb = 0;
    for (let i = 0; i < r.length; i++) {
      rr += (r[i] - ctx.scaledTilts[i]) ** 2;
      bb += ctx.scaledTilts[i] ** 2;
    }
    opts.onProgress({
      stage: 'refine',
      done: 1,
      total: 1,
      message: `relative re-projection residual ${(rr / bb).toFixed(4)}`,
    });
  }
  return { data: y, shape: [...volume.shape] as Shape3, voxelSizeA: volume.voxelSizeA };
}
