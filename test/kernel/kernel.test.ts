/**
 * The pann-aet kernel through Debian's real jupyter_client (test/kernel/jupyter_client_driver.py):
 * kernelspec install, comm_info_request, comms both ways with binary buffers, and an ipywidgets round trip
 * with the slicer (frontend update → kernel sees it; kernel sets atoms → frontend gets buffers).
 * Needs `npm run build` (kernel-lib/dist) and the Debian packages in .ci/apt-packages.txt.
 */
/* eslint-disable @typescript-eslint/no-explicit-any -- untyped JSON from the Jupyter driver and the page */
import { execFileSync, spawnSync } from 'child_process';
import { existsSync, mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join, resolve } from 'path';

const ROOT = resolve(__dirname, '../..');
const MAIN = join(ROOT, 'kernel-lib/dist/kernel/main.js');
const PY = '/usr/bin/python3';
let env: NodeJS.ProcessEnv;
let tmp: string;

function driver(scenario: string): any {
  const r = spawnSync(PY, ['-Xfrozen_modules=off', join(__dirname, 'jupyter_client_driver.py'), scenario, join(ROOT, 'notebooks')], { env, encoding: 'utf8', timeout: 110_000 });
  const line = r.stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (!line) throw new Error(`driver ${scenario} failed (status ${r.status}):\n${r.stdout}\n${r.stderr}`);
  return JSON.parse(line.slice(7));
}

beforeAll(() => {
  if (!existsSync(MAIN) || !existsSync(join(ROOT, 'kernel-lib/dist/view/index.js'))) throw new Error('kernel-lib/dist is missing: run `npm run build` first');
  tmp = mkdtempSync(join(tmpdir(), 'pann-kernel-test-'));
  env = { ...process.env, JUPYTER_DATA_DIR: join(tmp, 'data'), JUPYTER_CONFIG_DIR: join(tmp, 'config'), JUPYTER_RUNTIME_DIR: join(tmp, 'runtime'), PYDEVD_DISABLE_FILE_VALIDATION: '1' };
  execFileSync(process.execPath, [MAIN, 'install', '--user'], { env, stdio: 'pipe' });
});

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

test('the kernelspec installs and jupyter_client lists it', () => {
  const specs = JSON.parse(execFileSync(PY, ['-Xfrozen_modules=off', '-m', 'jupyter_client.kernelspecapp', 'list', '--json'], { env, encoding: 'utf8' }));
  const spec = specs.kernelspecs['pann-aet'];
  expect(spec).toBeDefined();
  expect(spec.spec.display_name).toBe('TypeScript (pann-aet)');
  expect(spec.spec.language).toBe('typescript');
  expect(spec.spec.argv).toEqual([process.execPath, MAIN, 'kernel', '--config-path', '{connection_file}']);
  expect(spec.spec.metadata['pann-aet'].tslab).toBe('1.0.22');
});

test('comms: comm_info_request, both directions, binary buffers, close, unknown target', () => {
  const r = driver('comms');
  expect(r.info_empty).toEqual({ msg_type: 'comm_info_reply', content: { status: 'ok', comms: {} } });
  expect(r.exec_open.status).toBe('ok');
  expect(r.exec_open.stdout).toContain('attached true');
  expect(r.comm_open).toHaveLength(1);
  const open = r.comm_open[0];
  expect(open.content.target_name).toBe('pann.test');
  expect(open.content.data).toEqual({ hello: 'kernel' });
  expect(open.buffers).toEqual(['010203fa']);
  expect(open.parent_msg_type).toBe('execute_request');
  const id = open.content.comm_id;
  expect(r.info_all.content.comms).toEqual({ [id]: { target_name: 'pann.test' } });
  expect(r.info_widget_only.content.comms).toEqual({});
  expect(r.kernel_saw).toEqual([{ data: { from: 'frontend', n: 7 }, bytes: [[0, 16, 255]] }]);
  expect(r.echo_open_replies.map((m: any) => m.content.data)).toEqual([{ opened: { x: 1 } }]);
  expect(r.echo_replies).toHaveLength(1);
  expect(r.echo_replies[0].content.data).toEqual({ echo: { ping: true }, nbytes: [4, 2] });
  expect(r.echo_replies[0].buffers).toEqual(['61626364', '0102']);
  expect(r.echo_replies[0].parent_msg_type).toBe('comm_msg');
  expect(r.refused).toHaveLength(1);
  expect(r.info_after_close.content.comms).toEqual({ [id]: { target_name: 'pann.test' } });
  expect(r.kernel_close.map((m: any) => m.content.comm_id)).toEqual([id]);
  expect(r.info_final).toEqual([]);
});

test('widget round trip: slicer opens with buffers, frontend update reaches the kernel, kernel update reaches the frontend', () => {
  const r = driver('widget');
  expect(r.exec.status).toBe('ok');
  expect(r.exec.errors).toEqual([]);
  expect(r.opens).toHaveLength(1);
  const o = r.opens[0];
  expect(o.target_name).toBe('jupyter.widget');
  expect(o.model_name).toBe('SlicerModel');
  expect(o.version).toBe('2.1.0');
  expect(o.buffer_paths).toEqual([['volume'], ['compare'], ['atom_positions'], ['atom_scores'], ['atom_probabilities']]);
  expect(o.buffer_bytes).toEqual([16 * 16 * 16, 0, 4 * 3 * 4, 4 * 4, 0]); // 1 byte a voxel; Float32 atoms
  expect(o.threshold).toBe(0.3);
  expect(o.visible_count).toBe(3);
  expect(r.displays).toHaveLength(1);
  expect(r.displays[0].mimes).toEqual(['application/vnd.jupyter.widget-view+json', 'image/png', 'text/plain']);
  expect(r.displays[0].view).toEqual({ version_major: 2, version_minor: 1, model_id: r.comm_id });
  expect(r.info.content.comms).toEqual({ [r.comm_id]: { target_name: 'jupyter.widget' } });
  expect(r.kernel_after_update.threshold).toBe(0.5);
  expect(r.kernel_after_update.visible).toBe(2);
  expect(r.atoms_update).toHaveLength(1);
  expect(r.atoms_update[0].method).toBe('update');
  expect(r.atoms_update[0].species).toEqual(['Pd']);
  expect(r.atoms_update[0].positions).toEqual([5, 5, 5]);
  expect(r.request_state).toEqual([{ method: 'update', threshold: 0.5, nbuffers: 5, parent_msg_type: 'comm_msg' }]);
});
