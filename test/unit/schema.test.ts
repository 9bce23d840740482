import { validateDocument } from '../../kernel-lib/src/schema/validate';

describe('JSON Schemas', () => {
  it('accepts a full pipeline configuration', () => {
    expect(() =>
      validateDocument('pipeline-config', {
        tilts: 't.npy', angles: 'a.txt', pixelSizeA: 0.35, out: 'out', species: ['Fe', 'Pt'], classify: 'kmeans', refine: 'glare', refineFlips: true, fitPositions: true, minSupport: 0.3,
        reconstruction: { method: 'resire', iterations: 20 }, trace: { minSeparationA: 2, threshold: 'auto' }, seed: 1,
      }),
    ).not.toThrow();
  });
  it('names the offending field of a bad configuration', () => {
    expect(() => validateDocument('pipeline-config', { pixelSizeA: -1 }, 'cfg.json')).toThrow(/pixelSizeA.*cfg\.json/s);
    expect(() => validateDocument('pipeline-config', { pixelSize: 1 })).toThrow(/pixelSize/);
    expect(() => validateDocument('pipeline-config', { species: ['fe'] })).toThrow(/species/);
    expect(() => validateDocument('pipeline-config', { refineFlips: 'yes' })).toThrow(/refineFlips/);
    expect(() => validateDocument('pipeline-config', { fitPositions: 1 })).toThrow(/fitPositions/);
    expect(() => validateDocument('pipeline-config', { minSupport: -0.1 })).toThrow(/minSupport/);
  });
  it('validates atomic models in JSON form', () => {
    expect(() => validateDocument('atomic-model', { species: ['Pt'], positionsA: [[1, 2, 3]] })).not.toThrow();
    expect(() => validateDocument('atomic-model', { species: ['Pt'], positionsA: [[1, 2]] })).toThrow(/positionsA/);
  });
});
