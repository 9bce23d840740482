import { Session } from '../../kernel-lib/src/session/session';
import { PannError } from '../../kernel-lib/src/core/errors';

const vol = () => ({ data: new Float32Array(8), shape: [2, 2, 2] as [number, number, number], voxelSizeA: 0.5 });

describe('Session', () => {
  it('keeps results by name and reports what it holds in bytes', () => {
    const s = new Session();
    s.set('reconstruction', vol());
    s.set('atoms', { positionsA: new Float64Array(6), species: ['Fe', 'Pt'] });
    expect(s.names()).toEqual(['reconstruction', 'atoms']);
    expect(s.volume().shape).toEqual([2, 2, 2]);
    expect(s.atoms().species).toEqual(['Fe', 'Pt']);
    const m = s.memory();
    expect(m.totalBytes).toBe(8 * 4 + 6 * 8);
  });

  it('prefers the refined volume and names the stored results when one is missing', () => {
    const s = new Session();
    s.set('reconstruction', vol());
    const refined = vol();
    s.set('refined', refined);
    expect(s.volume()).toBe(refined);
    expect(() => s.get('trace')).toThrow(/no result named 'trace'.*reconstruction, refined/);
  });

  it('disposes tensors it replaces and everything on dispose()', () => {
    const s = new Session();
    const disposed: string[] = [];
    s.set('t', { dispose: () => disposed.push('a') });
    s.set('t', { dispose: () => disposed.push('b') });
    expect(disposed).toEqual(['a']);
    s.set('nested', { tensor: { dispose: () => disposed.push('c') } });
    s.dispose();
    expect(disposed).toEqual(['a', 'b', 'c']);
    expect(() => s.names() && s.get('t')).toThrow(PannError);
  });

  it('refuses a result of the wrong kind', () => {
    const s = new Session();
    s.set('reconstruction', { positionsA: new Float64Array(3), species: ['Pt'] });
    expect(() => s.volume('reconstruction')).toThrow(/not a volume/);
  });
});
