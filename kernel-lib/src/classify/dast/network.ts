/**
 * The DAST network in the project's network IR, so the same weights run with tfjs (training, reference)
 * and ONNX Runtime. Input: standardised per-atom features and per-edge features of the atom graph.
 * Body: `layers` edge-aware graph-attention Transformer layers — per head, query from the receiving atom,
 * key and value from the sending atom plus a projection of the edge features, an edge bias on the score,
 * softmax over each atom's incoming edges, attention-weighted sum; heads concatenated and projected,
 * residual + layer norm, then a position-wise feed-forward block, residual + layer norm.
 * Outputs: `out` `[nAtoms, 1]`, the brightness score (α·ln Z up to a per-particle offset), and
 * `ghost_prob` `[nAtoms, 1]`, the probability that the traced atom has no true partner (a ghost), which
 * the species assignment uses to keep ghosts from pulling the score offset.
 * With `layers = 0` it is a per-atom MLP (the ablation without the graph).
 */
import { NetBuilder, type Network, type WeightMap } from '../../nn/ir';
import { initWeights } from '../../nn/init';

/** Architecture of a DAST network (stored with the weights). */
export interface DastNetConfig {
  /** Node feature count (after column selection). */
  nodeFeatures: number;
  /** Edge feature count (0 when layers = 0). */
  edgeFeatures: number;
  /** Hidden width. */
  width: number;
  /** Attention heads per layer, each of width headDim. */
  heads: number;
  headDim: number;
  /** Graph attention layers (0 = MLP). */
  layers: number;
  /** Feed-forward hidden width. */
  ffnWidth: number;
}

/** Input ids of the network. */
export const DAST_INPUTS = { nodes: 'nodes', edges: 'edges', src: 'src', dst: 'dst' } as const;
/** Output ids. */
export const DAST_OUTPUT = 'out';
export const DAST_GHOST_OUTPUT = 'ghost_prob';

/**
 * Builds the network for a graph of `numNodes` atoms (the IR fixes segment counts at build time;
 * weight names do not depend on it).
 */
export function buildDastNetwork(cfg: DastNetConfig, numNodes: number): Network {
  const b = new NetBuilder(cfg.layers > 0 ? 'dast' : 'dast-mlp');
  const { score, ghost } = dastBody(b, cfg, numNodes);
  b.output(score, ghost);
  return b.build();
}

function dastBody(b: NetBuilder, cfg: DastNetConfig, numNodes: number): { score: string; ghost: string } {
  const x = b.input(DAST_INPUTS.nodes, cfg.nodeFeatures, 2);
  let h = b.dense(b.activation(b.dense(x, { units: cfg.width, name: 'embed1' }), 'relu'), { units: cfg.width, name: 'embed2' });
  h = b.layerNorm(h, { name: 'embed_norm' });
  if (cfg.layers > 0) {
    const e = b.input(DAST_INPUTS.edges, cfg.edgeFeatures, 2);
    const src = b.indexInput(DAST_INPUTS.src);
    const dst = b.indexInput(DAST_INPUTS.dst);
    for (let l = 0; l < cfg.layers; l++) {
      const p = `gat${l}`;
      const outs: string[] = [];
      for (let k = 0; k < cfg.heads; k++) {
        const hp = `${p}_h${k}`;
        const q = b.gather(b.dense(h, { units: cfg.headDim, bias: false, name: `${hp}_q` }), dst);
        const key = b.add(b.gather(b.dense(h, { units: cfg.headDim, bias: false, name: `${hp}_k` }), src), b.dense(e, { units: cfg.headDim, bias: false, name: `${hp}_ek` }));
        const val = b.add(b.gather(b.dense(h, { units: cfg.headDim, name: `${hp}_v` }), src), b.dense(e, { units: cfg.headDim, bias: false, name: `${hp}_ev` }));
        const score = b.add(b.sumLast(b.mul(q, key)), b.dense(e, { units: 1, name: `${hp}_eb` }));
        const att = b.segmentSoftmax(score, dst, numNodes);
        outs.push(b.scatterAdd(b.mul(val, att), dst, numNodes));
      }
      const agg = cfg.heads === 1 ? outs[0] : b.concat(outs);
      h = b.layerNorm(b.add(h, b.dense(agg, { units: cfg.width, name: `${p}_out` })), { name: `${p}_norm1` });
      const f = b.dense(b.activation(b.dense(h, { units: cfg.ffnWidth, name: `${p}_ffn1` }), 'relu'), { units: cfg.width, name: `${p}_ffn2` });
      h = b.layerNorm(b.add(h, f), { name: `${p}_norm2` });
    }
  }
  // Score = a linear skip from the inputs (log intensity ratios already give α·ln Z at high dose) plus
  // the graph Transformer's correction.
  const head = b.dense(b.activation(b.dense(h, { units: cfg.width, name: 'head1' }), 'relu'), { units: 1, name: 'head2' });
  const score = b.add(head, b.dense(x, { units: 1, name: 'skip' }), DAST_OUTPUT);
  const g = b.dense(b.activation(b.dense(h, { units: cfg.width, name: 'ghost1' }), 'relu'), { units: 1, name: 'ghost_logit' });
  return { score, ghost: b.activation(g, 'sigmoid', 0, DAST_GHOST_OUTPUT) };
}

/** Extra inputs of the training network. */
export const DAST_TRAIN_INPUTS = { particle: 'particle', centreWeight: 'centre_weight', minusOne: 'minus_one', mask: 'mask' } as const;

/**
 * The training variant (same weights): the score minus its mean over the labelled atoms of the same
 * particle, times a 0/1 label mask — so a plain mean-squared error against (α·ln Z − particle mean)·mask
 * is the offset-free loss, and ONNX Runtime can train it with the generic MSE trainer (mask values of
 * 3 weight the score term against the ghost term, a Brier score of `ghost_prob` against 0/1).
 * Extra inputs: `particle` int32 [N] (particle of each atom), `centre_weight` [N, 1] (mask / labelled
 * atoms of that particle), `minus_one` [N, 1] (all −1), `mask` [N, 1].
 */
export function buildDastTrainingNetwork(cfg: DastNetConfig, numNodes: number, particles: number): Network {
  const b = new NetBuilder(cfg.layers > 0 ? 'dast_train' : 'dast-mlp_train');
  const { score: s, ghost } = dastBody(b, cfg, numNodes);
  const particle = b.indexInput(DAST_TRAIN_INPUTS.particle);
  const cw = b.input(DAST_TRAIN_INPUTS.centreWeight, 1, 2);
  const m1 = b.input(DAST_TRAIN_INPUTS.minusOne, 1, 2);
  const mask = b.input(DAST_TRAIN_INPUTS.mask, 1, 2);
  const mean = b.gather(b.scatterAdd(b.mul(s, cw), particle, particles), particle);
  const y = b.mul(b.add(s, b.mul(mean, m1)), mask, 'centred');
  b.output(y, ghost);
  return b.build();
}

/** Initial weights: He-normal, with query kernels scaled by 1/√headDim (scaled dot-product attention). */
export function initDastWeights(cfg: DastNetConfig, seed: number): WeightMap {
  const net = buildDastNetwork(cfg, 2);
  const w = initWeights(net, seed);
  const s = 1 / Math.sqrt(cfg.headDim);
  for (const name of Object.keys(w)) if (/_q\/kernel$/.test(name)) w[name] = w[name].map((v) => v * s);
  return w;
}
