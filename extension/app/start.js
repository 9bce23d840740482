#!/usr/bin/env node
/* global fetch, setTimeout */
/**
 * `npm start`: JupyterLab (this repository's app build) with the pann-aet extension and the
 * "TypeScript (pann-aet)" kernel, serving notebooks/ on 127.0.0.1. Prints the URL; Ctrl+C stops the server
 * and its kernels. Jupyter config/data/runtime dirs are private to this run (a temporary folder), so the
 * user's own Jupyter setup is neither read nor changed. PORT=… picks the port (default: a free one).
 */
const { execFileSync, spawn } = require('child_process');
const fs = require('fs');
const net = require('net');
const os = require('os');
const path = require('path');
const crypto = require('crypto');

const ROOT = path.resolve(__dirname, '../..');
const NOTEBOOKS = path.resolve(process.env.PANN_NOTEBOOKS || path.join(ROOT, 'notebooks'));

function freePort() {
  return new Promise((res, rej) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => res(p));
    });
    s.on('error', rej);
  });
}

async function main() {
  if (!fs.existsSync(path.join(__dirname, 'build', 'bundle.js'))) {
    console.error('extension/app/build is missing: run `npm run build:app -w @pann-aet/jupyterlab` (npm start does).');
    process.exit(1);
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pann-lab-'));
  const env = {
    ...process.env,
    JUPYTER_CONFIG_DIR: path.join(tmp, 'config'),
    JUPYTER_DATA_DIR: path.join(tmp, 'data'),
    JUPYTER_RUNTIME_DIR: path.join(tmp, 'runtime'),
    PANN_LAB_STATE_DIR: path.join(tmp, 'state'),
    PYDEVD_DISABLE_FILE_VALIDATION: '1',
  };
  execFileSync(process.execPath, [path.join(ROOT, 'kernel-lib/dist/kernel/main.js'), 'install', '--user'], { env, stdio: 'inherit' });
  // Save widget state with notebooks so views show again when reopened without a kernel.
  const settings = path.join(tmp, 'state/user_settings/@jupyter-widgets/jupyterlab-manager');
  fs.mkdirSync(settings, { recursive: true });
  fs.writeFileSync(path.join(settings, 'plugin.jupyterlab-settings'), JSON.stringify({ saveState: true }));
  const port = Number(process.env.PORT) || (await freePort());
  const token = crypto.randomBytes(16).toString('hex');
  const server = spawn('/usr/bin/python3', ['-Xfrozen_modules=off', path.join(__dirname, 'server.py'), '--ServerApp.ip=127.0.0.1', `--ServerApp.port=${port}`, `--ServerApp.token=${token}`, `--ServerApp.root_dir=${NOTEBOOKS}`, '--ServerApp.open_browser=False', `--ServerApp.allow_root=${process.getuid?.() === 0 ? 'True' : 'False'}`, '--MultiKernelManager.default_kernel_name=pann-aet'], { env, stdio: ['ignore', 'inherit', 'inherit'] });
  const stop = () => {
    if (server.exitCode === null) server.kill('SIGTERM');
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  const url = `http://127.0.0.1:${port}/lab?token=${token}`;
  for (let i = 0; i < 150 && server.exitCode === null; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/api/status?token=${token}`)).ok) {
        console.log(`\npann-aet JupyterLab is running (notebooks: ${NOTEBOOKS}):\n\n    ${url}\n\nPress Ctrl+C to stop.\n`);
        break;
      }
    } catch {
      // not yet listening
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  server.on('exit', (code) => {
    fs.rmSync(tmp, { recursive: true, force: true });
    process.exit(code ?? 0);
  });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
