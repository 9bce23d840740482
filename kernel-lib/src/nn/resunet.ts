/**
 * Network builders in the IR: the residual 3D U-Net that GLARE refines volumes with (local patch
 * branch plus an optional global branch that sees the whole particle downsampled and modulates the
 * bottleneck by FiLM), and the plain 3D U-Net baseline.
 */
import { NetBuilder, type Network } from './ir';

export interface ResUNetOptions {
  /** Channels per resolution level, finest first (default [16, 32, 64]: 3 levels). */
  widths?: number[];
  /** Input and output channels (default 1 and 1). */
  inChannels?: number;
  outChannels?: number;
  /** Residual blocks per level on the way down and up (default 1). */
  blocksPerLevel?: number;
  /** Instance normalisation inside residual blocks (default false). */
  norm?: boolean;
  /** Leaky-ReLU negative slope (default 0.1). */
  alpha?: number;
  /** Add a global branch input `global` (whole volume, downsampled) that modulates the bottleneck (default false). */
  globalBranch?: boolean;
  /**
   * With the global branch: also an input `acquisition` `[N, acquisitionInputs]` (a vector describing
   * how the data were taken), joined to the pooled global features by a dense layer; the FiLM heads
   * then start at zero, so the network begins as the plain U-Net and the global path only adds what
   * helps (default 0: the original pooled-only branch with He-initialised heads).
   */
  acquisitionInputs?: number;
  /** Add the input to the output (predict a correction; needs inChannels = outChannels; default false). */
  residualOutput?: boolean;
  name?: string;
}

function resBlock(b: NetBuilder, x: string, width: number, norm: boolean, alpha: number): string {
  // a conv bias right before instance norm is cancelled by it: leave it out
  let y = b.conv3d(x, { filters: width, kernel: 3, bias: !norm });
  if (norm) y = b.instanceNorm(y);
  y = b.activation(y, 'leakyRelu', alpha);
  y = b.conv3d(y, { filters: width, kernel: 3, bias: !norm });
  if (norm) y = b.instanceNorm(y);
  return b.activation(b.add(x, y), 'leakyRelu', alpha);
}

/**
 * A residual 3D U-Net: stem conv, per level residual blocks then a strided (kernel 2, stride 2)
 * conv down; at the bottom residual blocks (FiLM-modulated by the global branch when enabled);
 * transposed conv (kernel 2, stride 2) up, concat with the skip, conv, residual blocks; 1×1×1 head.
 * Inputs: `volume` `[N, D, H, W, inChannels]` with D, H, W divisible by 2^(levels−1); with
 * `globalBranch`, also `global` `[N, d, h, w, inChannels]` of any size divisible by 4.
 */
export function buildResUNet3d(o: ResUNetOptions = {}): Network {
  const widths = o.widths ?? [16, 32, 64];
  const alpha = o.alpha ?? 0.1;
  const norm = o.norm ?? false;
  const blocks = o.blocksPerLevel ?? 1;
  const b = new NetBuilder(o.name ?? 'resunet3d');
  const input = b.input('volume', o.inChannels ?? 1);
  let x = b.activation(b.conv3d(input, { filters: widths[0], kernel: 3 }), 'leakyRelu', alpha);
  const skips: string[] = [];
  for (let lvl = 0; lvl < widths.length - 1; lvl++) {
    for (let i = 0; i < blocks; i++) x = resBlock(b, x, widths[lvl], norm, alpha);
    skips.push(x);
    x = b.activation(b.conv3d(x, { filters: widths[lvl + 1], kernel: 2, stride: 2 }), 'leakyRelu', alpha);
  }
  const deep = widths[widths.length - 1];
  if (o.globalBranch) {
    const gIn = b.input('global', o.inChannels ?? 1);
    let gx = b.activation(b.conv3d(gIn, { filters: widths[0], kernel: 3 }), 'leakyRelu', alpha);
    gx = b.activation(b.conv3d(gx, { filters: widths[1] ?? widths[0], kernel: 2, stride: 2 }), 'leakyRelu', alpha);
    gx = b.activation(b.conv3d(gx, { filters: deep, kernel: 2, stride: 2 }), 'leakyRelu', alpha);
    let vec = b.globalAvgPool3d(gx);
    const acq = o.acquisitionInputs ?? 0;
    if (acq > 0) {
      const a = b.input('acquisition', acq, 2);
      vec = b.activation(b.dense(b.concat([vec, a]), { units: deep, name: 'global_context' }), 'leakyRelu', alpha);
    }
    const init = acq > 0 ? 'zeros' : 'he';
    const gamma = b.dense(vec, { units: deep, name: 'global_gamma', init });
    const beta = b.dense(vec, { units: deep, name: 'global_beta', init });
    x = b.film(x, gamma, beta);
  }
  for (let i = 0; i < blocks; i++) x = resBlock(b, x, deep, norm, alpha);
  for (let lvl = widths.length - 2; lvl >= 0; lvl--) {
    x = b.activation(b.convTranspose3d(x, { filters: widths[lvl], kernel: 2, stride: 2 }), 'leakyRelu', alpha);
    x = b.concat([x, skips[lvl]]);
    x = b.activation(b.conv3d(x, { filters: widths[lvl], kernel: 3 }), 'leakyRelu', alpha);
    for (let i = 0; i < blocks; i++) x = resBlock(b, x, widths[lvl], norm, alpha);
  }
  let out = b.conv3d(x, { filters: o.outChannels ?? 1, kernel: 1, name: 'head' });
  if (o.residualOutput) out = b.add(input, out, 'output');
  b.output(out);
  return b.build();
}

/** The plain 3D U-Net baseline: two convs per level, max-pool down, nearest upsampling + conv up. */
export function buildUNet3d(o: { widths?: number[]; inChannels?: number; outChannels?: number; name?: string } = {}): Network {
  const widths = o.widths ?? [16, 32, 64];
  const b = new NetBuilder(o.name ?? 'unet3d');
  let x = b.input('volume', o.inChannels ?? 1);
  const skips: string[] = [];
  const double = (t: string, w: number): string =>
    b.activation(b.conv3d(b.activation(b.conv3d(t, { filters: w }), 'relu'), { filters: w }), 'relu');
  for (let lvl = 0; lvl < widths.length - 1; lvl++) {
    x = double(x, widths[lvl]);
    skips.push(x);
    x = b.pool3d(x, 'max', 2);
  }
  x = double(x, widths[widths.length - 1]);
  for (let lvl = widths.length - 2; lvl >= 0; lvl--) {
    x = b.conv3d(b.upsample3d(x, 2), { filters: widths[lvl] });
    x = double(b.concat([x, skips[lvl]]), widths[lvl]);
  }
  b.output(b.conv3d(x, { filters: o.outChannels ?? 1, kernel: 1, name: 'head' }));
  return b.build();
}
