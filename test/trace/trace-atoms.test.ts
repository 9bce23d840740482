
describe('traceAtoms near the border', () => {
  it('keeps every refined centre inside the volume, so later stages can sample around it', async () => {
    const { createRng } = await import('../../kernel-lib/src/core/rng');
    const { traceAtoms } = await import('../../kernel-lib/src/trace');
    const rng = createRng(5);
    const shape: [number, number, number] = [24, 24, 24];
    const data = new Float32Array(24 * 24 * 24);
    for (let i = 0; i < data.length; i++) data[i] = Math.abs(rng.normal());
    const vol = { data, shape, voxelSizeA: 0.5 };
    const tr = await traceAtoms(vol, { smoothingSigmaA: 0, intensityThreshold: 0 });
    expect(tr.peak.length).toBeGreaterThan(50);
    const lim = 23 * 0.5;
    for (const x of tr.positionsA) {
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThanOrEqual(lim);
    }
  });
});
