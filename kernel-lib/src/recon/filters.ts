/**
 * One-dimensional reconstruction filters for weighted (filtered) back-projection, applied along the
 * detector u axis (x) of every projection row.
 */
import FFT from 'fft.js';
import { PannError } from '../core/errors';

/** Apodisation of the ramp filter, as in scikit-image's `iradon`. */
export type RampWindow = 'ramp' | 'shepp-logan' | 'hann';

function nextPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/**
 * Frequency response (length `size`, FFT order) of the band-limited ramp |f| (f in cycles/pixel),
 * built from the Ram–Lak spatial kernel (h[0] = 1/4, h[odd n] = −1/(πn)²) so it has no DC bias,
 * times the chosen window.
 */
export function rampResponse(size: number, window: RampWindow): Float64Array {
  const fft = new FFT(size);
  const h = fft.createComplexArray() as number[];
  h[0] = 0.25;
  for (let n = 1; n < size / 2; n += 2) {
    const v = -1 / (Math.PI * n) ** 2;
    h[2 * n] = v;
    h[2 * (size - n)] = v;
  }
  const H = fft.createComplexArray() as number[];
  fft.transform(H, h);
  const out = new Float64Array(size);
  for (let k = 0; k < size; k++) {
    const f = (k < size / 2 ? k : k - size) / size;
    let w = 1;
    if (window === 'shepp-logan') w = f === 0 ? 1 : Math.sin(Math.PI * f) / (Math.PI * f);
    else if (window === 'hann') w = 0.5 * (1 + Math.cos(2 * Math.PI * f));
    else if (window !== 'ramp') throw new PannError('OPTION', `unknown filter '${String(window)}' (use 'ramp', 'shepp-logan' or 'hann')`, { field: 'filter' });
    out[k] = H[2 * k] * w; // real and even: the imaginary part is round-off
  }
  return out;
}

/**
 * Filters every row (along x) of `proj` ([nAngles, ny, nx] C order) with the windowed ramp; rows are
 * zero-padded to a power of two ≥ 2·nx so the circular convolution does not wrap. Returns a new array.
 */
export function filterRows(proj: Float32Array, nRows: number, nx: number, window: RampWindow): Float32Array {
  const size = nextPow2(2 * nx);
  const resp = rampResponse(size, window);
  const fft = new FFT(size);
  const row = fft.createComplexArray() as number[];
  const spec = fft.createComplexArray() as number[];
  const back = fft.createComplexArray() as number[];
  const out = new Float32Array(proj.length);
  for (let r = 0; r < nRows; r++) {
    row.fill(0);
    for (let x = 0; x < nx; x++) row[2 * x] = proj[r * nx + x];
    fft.transform(spec, row);
    for (let k = 0; k < size; k++) {
      spec[2 * k] *= resp[k];
      spec[2 * k + 1] *= resp[k];
    }
    fft.inverseTransform(back, spec);
    for (let x = 0; x < nx; x++) out[r * nx + x] = back[2 * x];
  }
  return out;
}
