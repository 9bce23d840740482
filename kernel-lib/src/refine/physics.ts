/**
 * The physics terms of GLARE's loss, computed outside the ONNX training graph (which only knows a
 * voxel MSE) with the project's projector:
 * - projection consistency: the refined volume V (network units), re-projected along the measured
 *   angles and scaled by s, must agree with the measured (background-subtracted) tilt series b:
 *   L_proj = λ_proj / (2·nAngles·L) · ‖P V − b / s‖² (L = volume edge in voxels), gradient
 *   λ_proj · Pᵀ(P V − b/s) / (nAngles·L), in voxel units like the MSE's for smooth errors.
 *   s is the least-squares scale of the IDEAL volume's projections onto b (s = ⟨P T, b⟩ / ‖P T‖²),
 *   fitted once per sample, so network units and counts are tied by the truth and not by the output;
 * - positivity: L_pos = λ_pos / 2 · Σ min(V, 0)², gradient λ_pos · min(V, 0).
 * The gradients are injected into the patch MSE by shifting its target (see training.ts).
 */
import type { Shape3, TiltSeries } from '../core/types';
import { Projector } from '../recon/projector';

export interface PhysicsWeights {
  /** Weight of the projection-consistency term (default 0.1). */
  projection: number;
  /** Weight of the positivity term (default 0.5). */
  positivity: number;
}
export const DEFAULT_PHYSICS: PhysicsWeights = { projection: 0.1, positivity: 0.5 };

/** A tilt series prepared for the consistency term of one sample. */
export interface PhysicsContext {
  projector: Projector;
  /** b / s: the measurements in network units. */
  scaledTilts: Float32Array;
  nAngles: number;
}

/**
 * Prepares the consistency term: fits s from the ideal volume `target` (network units) to the tilts.
 * @param tilts background-subtracted tilt series (counts)
 * @param target ideal atomic volume in network units (same frame as the reconstruction)
 */
export function physicsContext(tilts: TiltSeries, target: Float32Array, volumeShape: Shape3): PhysicsContext {
  const projector = new Projector(volumeShape, tilts.anglesDeg, [tilts.shape[1], tilts.shape[2]]);
  const pt = projector.forward(target);
  let num = 0,
    den = 0;
  for (let i = 0; i < pt.length; i++) {
    num += pt[i] * tilts.data[i];
    den += pt[i] * pt[i];
  }
  const s = den > 0 && num > 0 ? num / den : 1;
  const scaledTilts = new Float32Array(tilts.data.length);
  for (let i = 0; i < scaledTilts.length; i++) scaledTilts[i] = tilts.data[i] / s;
  return { projector, scaledTilts, nAngles: tilts.shape[0] };
}

/**
 * The physics gradient field (volume units) at the refined volume `v`, and the two loss values.
 * @returns grad = λ_proj·Pᵀ(Pv − b/s)/nAngles + λ_pos·min(v, 0); lossProjection = mean squared
 * re-projection residual relative to mean (b/s)²; lossPositivity = mean min(v, 0)²
 */
export function physicsGradient(ctx: PhysicsContext, v: Float32Array, w: PhysicsWeights = DEFAULT_PHYSICS): { grad: Float32Array; relResidual: number; negativeMeanSq: number } {
  const r = ctx.projector.forward(v);
  let rr = 0,
    bb = 0;
  for (let i = 0; i < r.length; i++) {
    const b = ctx.scaledTilts[i];
    r[i] -= b;
    rr += r[i] * r[i];
    bb += b * b;
  }
  const grad = ctx.projector.adjoint(r);
  // PᵀP ≈ nAngles × (path length L) for slowly varying errors: dividing by nAngles·L makes the
  // gradient of a smooth mass error δ equal to λ·δ, on par with the voxel MSE's; fine detail,
  // where the noisy measurements carry little, gets ≈ λ/L of that.
  const L = Math.cbrt(v.length);
  const c = w.projection / (ctx.nAngles * L);
  let neg = 0;
  for (let i = 0; i < grad.length; i++) {
    const m = v[i] < 0 ? v[i] : 0;
    neg += m * m;
    grad[i] = c * grad[i] + w.positivity * m;
  }
  return { grad, relResidual: bb > 0 ? rr / bb : 0, negativeMeanSq: neg / v.length };
}
