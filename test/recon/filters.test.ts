import { filterRows, rampResponse } from '../../kernel-lib/src/recon/filters';

describe('WBP filters', () => {
  const N = 256;
  it('the ramp is ≈ |f| (cycles/pixel) with ~no DC, and the windows shape it as documented', () => {
    const ramp = rampResponse(N, 'ramp');
    expect(Math.abs(ramp[0])).toBeLessThan(2e-3);
    for (const k of [16, 64, 100]) expect(ramp[k]).toBeCloseTo(k / N, 2);
    expect(ramp[N - 64]).toBeCloseTo(ramp[64], 10); // even
    const hann = rampResponse(N, 'hann');
    expect(Math.abs(hann[N / 2])).toBeLessThan(1e-9);
    expect(hann[64] / ramp[64]).toBeCloseTo(0.5, 6); // (1 + cos(π/2))/2
    const sl = rampResponse(N, 'shepp-logan');
    expect(sl[N / 2] / ramp[N / 2]).toBeCloseTo(2 / Math.PI, 6);
  });

  it('filters each row independently and kills a constant interior', () => {
    const nx = 50;
    const rows = new Float32Array(2 * nx);
    rows.fill(1, 0, nx); // row 0 constant, row 1 zero
    const out = filterRows(rows, 2, nx, 'ramp');
    expect(Math.abs(out[nx / 2])).toBeLessThan(0.02); // far from the edges the ramp of a constant is ~0
    for (let x = nx; x < 2 * nx; x++) expect(out[x]).toBe(0);
  });
});
