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
 * Contrast: the target's peak heights are (Z/Z_max)^0.85 while HAADF counts grow as Z^1.7, so with
 * `contrastPower` p the volume is projected as max(V, 0)^p (p = 2 makes every atom's projected mass
 * ∝ Z^1.7, like the measurement); p = 1 projects V itself, which over-weights light atoms against the
 * measurement and so pulls their peaks down (the weights trained before 2026-12-06 used p = 1).
 * The gradients are injected into the patch MSE by shifting its target (see training.ts).
 */
import type { Shape3, TiltSeries } from '../core/types';
import { Projector } from '../recon/projector';
import { PannError } from '../core/errors';

export interface PhysicsWeights {
  /** Weight of the projection-consistency term (default 0.1). */
  projection: number;
  /** Weight of the positivity term (default 0.5). */
  positivity: number;
  /** Power p the volume is raised to before projection (max(V, 0)^p; default 1: V itself). */
  contrastPower?: number;
}
export const DEFAULT_PHYSICS: PhysicsWeights = { projection: 0.1, positivity: 0.5 };

/** The volume as the projector should see it: max(v, 0)^p (v itself for p = 1). */
function contrastMapped(v: Float32Array, p: number): Float32Array {
  if (p === 1) return v;
  return v.map((x) => (x > 0 ? x ** p : 0));
}

/** A tilt series prepared for the consistency term of one sample. */
export interface PhysicsContext {
  projector: Projector;
  /** b / s: the measurements in network units. */
  scaledTilts: Float32Array;
  nAngles: number;
  /** Power the volume is raised to before projection. */
  contrastPower: number;
}

/**
 * Prepares the consistency term: fits s from the ideal volume `target` (network units) to the tilts.
 * @param tilts background-subtracted tilt series (counts)
 * @param target ideal atomic volume in network units (same frame as the reconstruction)
 */
export function physicsContext(tilts: TiltSeries, target: Float32Array, volumeShape: Shape3, contrastPower = 1): PhysicsContext {
  if (!(contrastPower > 0)) throw new PannError('OPTION', `contrastPower must be > 0, got ${contrastPower}`, { field: 'contrastPower' });
  const projector = new Projector(volumeShape, tilts.anglesDeg, [tilts.shape[1], tilts.shape[2]]);
  const pt = projector.forward(contrastMapped(target, contrastPower));
  let num = 0,
    den = 0;
  for (let i = 0; i < pt.length; i++) {
    num += pt[i] * tilts.data[i];
    den += pt[i] * pt[i];
  }
  const s = den > 0 && num > 0 ? num / den : 1;
  const scaledTilts = new Float32Array(tilts.data.length);
  for (let i = 0; i < scaledTilts.length; i++) scaledTilts[i] = tilts.data[i] / s;
  return { projector, scaledTilts, nAngles: tilts.shape[0], contrastPower };
}

/**
 * The physics gradient field (volume units) at the refined volume `v`, and the two loss values.
 * @returns grad = λ_proj·f'(v)·Pᵀ(P f(v) − b/s)/(nAngles·L) + λ_pos·min(v, 0) with f(v) = max(v, 0)^p
 * (f = identity for p = 1); relResidual = squared re-projection residual relative to ‖b/s‖²;
 * negativeMeanSq = mean min(v, 0)²
 */
export function physicsGradient(ctx: PhysicsContext, v: Float32Array, w: PhysicsWeights = DEFAULT_PHYSICS): { grad: Float32Array; relResidual: number; negativeMeanSq: number } {
  const p = ctx.contrastPower;
  if ((w.contrastPower ?? 1) !== p) throw new PannError('OPTION', `physics weights ask for contrastPower ${w.contrastPower ?? 1} but the context was fitted with ${p}`, { field: 'contrastPower' });
  const r = ctx.projector.forward(contrastMapped(v, p));
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
    // chain rule through f: f'(v) = p·v^(p−1) for v > 0, 0 below (1 everywhere for p = 1)
    const df = p === 1 ? 1 : v[i] > 0 ? p * v[i] ** (p - 1) : 0;
    grad[i] = c * df * grad[i] + w.positivity * m;
  }
  return { grad, relResidual: bb > 0 ? rr / bb : 0, negativeMeanSq: neg / v.length };
}
