/**
 * Headless execution with Debian's `jupyter nbconvert --execute` (nbclient) on the pann-aet kernel: the slicer's
 * display bundle carries the widget view plus PNG and text fallbacks, and nbclient stores the widget state
 * (with the 8-bit volume as a base64 buffer) in the notebook metadata, so the saved notebook shows the view again.
 */
import { execFileSync } from 'child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join, resolve } from 'path';

const ROOT = resolve(__dirname, '../..');
const WORK = join(__dirname, '.work');

test('nbconvert --execute: widget view + PNG/text fallback, widget state saved with bounded bytes', () => {
  if (!existsSync(join(ROOT, 'kernel-lib/dist/view/index.js'))) throw new Error('kernel-lib/dist is missing: run `npm run build` first');
  const tmp = mkdtempSync(join(tmpdir(), 'pann-nbconvert-'));
  const env = { ...process.env, JUPYTER_DATA_DIR: join(tmp, 'data'), JUPYTER_CONFIG_DIR: join(tmp, 'config'), JUPYTER_RUNTIME_DIR: join(tmp, 'runtime'), PYDEVD_DISABLE_FILE_VALIDATION: '1' };
  try {
    execFileSync(process.execPath, [join(ROOT, 'kernel-lib/dist/kernel/main.js'), 'install', '--user'], { env, stdio: 'pipe' });
    mkdirSync(WORK, { recursive: true });
    const src = [
      "import { slicer } from '@pann-aet/kernel/dist/view';",
      'const n = 32; const data = new Float32Array(n * n * n).map((_, q) => Math.sin(q / 50));',
      "const v = slicer({ data, shape: [n, n, n], voxelSizeA: 0.5 }, { positionsA: Float64Array.from([1, 2, 3]), species: ['Pt'], scores: { peak: Float64Array.from([0.5]) } });",
    ].join('\n');
    const nb = { nbformat: 4, nbformat_minor: 5, metadata: { kernelspec: { name: 'pann-aet', display_name: 'TypeScript (pann-aet)', language: 'typescript' } }, cells: [{ id: 'c0', cell_type: 'code', metadata: {}, execution_count: null, outputs: [], source: src }] };
    const file = join(WORK, 'nbconvert-slicer.ipynb');
    writeFileSync(file, JSON.stringify(nb));
    execFileSync('/usr/bin/python3', ['-Xfrozen_modules=off', '-m', 'nbconvert', '--to', 'notebook', '--execute', '--inplace', '--ExecutePreprocessor.timeout=120', file], { env, stdio: 'pipe', timeout: 180_000 });
    const out = JSON.parse(readFileSync(file, 'utf8'));
    const display = out.cells[0].outputs.find((o: { output_type: string }) => o.output_type === 'display_data');
    expect(Object.keys(display.data).sort()).toEqual(['application/vnd.jupyter.widget-view+json', 'image/png', 'text/plain']);
    expect([display.data['text/plain']].flat().join('')).toMatch(/^Slicer\(32×32×32 voxels at 0\.500 Å, 1 atoms/);
    const png = Buffer.from(display.data['image/png'], 'base64');
    expect([...png.subarray(1, 4)].map((c) => String.fromCharCode(c)).join('')).toBe('PNG');
    const modelId = display.data['application/vnd.jupyter.widget-view+json'].model_id;
    const state = out.metadata.widgets['application/vnd.jupyter.widget-state+json'].state[modelId];
    expect(state.model_name).toBe('SlicerModel');
    const volumeBuffer = state.state.volume ?? (state.buffers ?? []).find((b: { path: string[] }) => b.path[0] === 'volume');
    const b64 = typeof volumeBuffer === 'string' ? volumeBuffer : volumeBuffer.data;
    expect(Buffer.from(b64, 'base64').length).toBe(32 ** 3); // 1 byte a voxel
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
