/** Adam with its state exposed, so training checkpoints can be resumed exactly (nn/adam.ts keeps its moments private). */
import type { WeightMap } from '../nn/ir';

export interface AdamState {
  t: number;
  m: WeightMap;
  v: WeightMap;
}

/** Adam (Kingma & Ba) with bias correction; updates weights in place; learning rate per call. */
export class ResumableAdam {
  state: AdamState;
  constructor(
    state?: AdamState,
    readonly beta1 = 0.9,
    readonly beta2 = 0.999,
    readonly epsilon = 1e-8,
  ) {
    this.state = state ?? { t: 0, m: {}, v: {} };
  }

  /** One update of `weights` by `grads` with step size `lr`. */
  update(weights: WeightMap, grads: WeightMap, lr: number): void {
    const s = this.state;
    s.t++;
    const c1 = 1 / (1 - this.beta1 ** s.t);
    const c2 = 1 / (1 - this.beta2 ** s.t);
    for (const [name, g] of Object.entries(grads)) {
      const w = weights[name];
      const m = (s.m[name] ??= new Float32Array(w.length));
      const v = (s.v[name] ??= new Float32Array(w.length));
      for (let i = 0; i < w.length; i++) {
        const gi = g[i];
        m[i] = this.beta1 * m[i] + (1 - this.beta1) * gi;
        v[i] = this.beta2 * v[i] + (1 - this.beta2) * gi * gi;
        w[i] -= (lr * m[i] * c1) / (Math.sqrt(v[i] * c2) + this.epsilon);
      }
    }
  }
}
