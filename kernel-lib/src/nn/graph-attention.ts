/**
 * Graph attention in the IR (the building block of DAST's graph Transformer over the atomic
 * neighbour graph): per edge j→i a score q_i·k_j, a softmax over the incoming edges of node i,
 * the attention-weighted sum of values v_j, then a residual connection and layer norm.
 */
import type { NetBuilder } from './ir';

let gatCount = 0;

export interface GraphAttentionOptions {
  /** Width of queries, keys and values. */
  dim: number;
  /** Number of heads (each of width `dim`; outputs are concatenated then projected). Default 1. */
  heads?: number;
  /** Prefix of the layer names. */
  name?: string;
}

/**
 * Adds one graph-attention layer; returns the updated node features `[numNodes, C]` (same C as `h`).
 * @param h node features `[numNodes, C]`
 * @param src int32 source node of each edge `[E]`
 * @param dst int32 target node of each edge `[E]` (messages flow src → dst)
 * @param numNodes number of nodes (rows of `h`)
 */
export function graphAttention(b: NetBuilder, h: string, src: string, dst: string, numNodes: number, o: GraphAttentionOptions): string {
  const heads = o.heads ?? 1;
  const p = o.name ?? `gat${gatCount++}`;
  const outs: string[] = [];
  for (let k = 0; k < heads; k++) {
    const q = b.gather(b.dense(h, { units: o.dim, bias: false, name: `${p}_h${k}_q` }), dst);
    const key = b.gather(b.dense(h, { units: o.dim, bias: false, name: `${p}_h${k}_k` }), src);
    const val = b.gather(b.dense(h, { units: o.dim, name: `${p}_h${k}_v` }), src);
    const score = b.sumLast(b.mul(q, key));
    const att = b.segmentSoftmax(score, dst, numNodes);
    outs.push(b.scatterAdd(b.mul(val, att), dst, numNodes));
  }
  const agg = heads === 1 ? outs[0] : b.concat(outs);
  const channels = b.channelsOf(h);
  const proj = b.dense(agg, { units: channels, name: `${p}_out` });
  return b.layerNorm(b.add(h, proj), { name: `${p}_norm` });
}
