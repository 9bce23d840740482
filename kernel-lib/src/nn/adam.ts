/** Adam on flat weight arrays, shared by every trainer so that engines differ only in their gradients. */
import type { WeightMap } from './ir';

export interface AdamOptions {
  /** Step size (default 1e-3). */
  learningRate?: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

/** Adam (Kingma & Ba) with bias correction; updates the weight arrays in place. */
export class Adam {
  private readonly m = new Map<string, Float32Array>();
  private readonly v = new Map<string, Float32Array>();
  private t = 0;
  readonly lr: number;
  readonly b1: number;
  readonly b2: number;
  readonly eps: number;

  constructor(o: AdamOptions = {}) {
    this.lr = o.learningRate ?? 1e-3;
    this.b1 = o.beta1 ?? 0.9;
    this.b2 = o.beta2 ?? 0.999;
    this.eps = o.epsilon ?? 1e-8;
  }

  /** Applies one update of `weights` by `grads` (same names and lengths). */
  update(weights: WeightMap, grads: WeightMap): void {
    this.t++;
    const c1 = 1 / (1 - this.b1 ** this.t);
    const c2 = 1 / (1 - this.b2 ** this.t);
    for (const [name, g] of Object.entries(grads)) {
      const w = weights[name];
      let m = this.m.get(name);
      let v = this.v.get(name);
      if (!m || !v) {
        m = new Float32Array(w.length);
        v = new Float32Array(w.length);
        this.m.set(name, m);
        this.v.set(name, v);
      }
      for (let i = 0; i < w.length; i++) {
        const gi = g[i];
        m[i] = this.b1 * m[i] + (1 - this.b1) * gi;
        v[i] = this.b2 * v[i] + (1 - this.b2) * gi * gi;
        w[i] -= (this.lr * m[i] * c1) / (Math.sqrt(v[i] * c2) + this.eps);
      }
    }
  }
}
