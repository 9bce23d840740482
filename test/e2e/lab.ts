/**
 * Starts what the browser tests need, bounded in time, and stops it: the pann-aet kernelspec in a temporary
 * Jupyter data dir, Debian's jupyter-server with the JupyterLab app (extension/app/server.py) on 127.0.0.1,
 * and headless Chromium (/usr/bin/chromium) through playwright-core with a fresh profile. No browser download.
 */
import { ChildProcess, execFileSync, spawn } from 'child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'fs';
import { createServer } from 'net';
import { tmpdir } from 'os';
import { join, resolve } from 'path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const ROOT = resolve(__dirname, '../..');
export const ARTIFACTS = join(__dirname, 'artifacts');

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => res(p));
    });
    s.on('error', rej);
  });
}

export interface Lab {
  url: string;
  token: string;
  server: ChildProcess;
  log: () => string;
  stop: () => Promise<void>;
}

/**
 * Start the lab server on `rootDir` (notebooks are opened relative to it).
 * @param maxSeconds - the server is killed after this long whatever happens.
 */
export async function startLab(rootDir: string, maxSeconds = 600): Promise<Lab> {
  const tmp = mkdtempSync(join(tmpdir(), 'pann-e2e-'));
  const env = {
    ...process.env,
    JUPYTER_CONFIG_DIR: join(tmp, 'config'),
    JUPYTER_DATA_DIR: join(tmp, 'data'),
    JUPYTER_RUNTIME_DIR: join(tmp, 'runtime'),
    PANN_LAB_STATE_DIR: join(tmp, 'state'),
    PYDEVD_DISABLE_FILE_VALIDATION: '1',
  };
  execFileSync(process.execPath, [join(ROOT, 'kernel-lib/dist/kernel/main.js'), 'install', '--user'], { env, stdio: 'pipe' });
  // Widget state is saved with the notebook (the reopen-without-kernel check relies on it).
  mkdirSync(join(tmp, 'state/user_settings/@jupyter-widgets/jupyterlab-manager'), { recursive: true });
  writeFileSync(join(tmp, 'state/user_settings/@jupyter-widgets/jupyterlab-manager/plugin.jupyterlab-settings'), JSON.stringify({ saveState: true }));
  // A user setting of this extension (schema/plugin.json): the .mrc viewer must start with it.
  mkdirSync(join(tmp, 'state/user_settings/@pann-aet/jupyterlab'), { recursive: true });
  writeFileSync(join(tmp, 'state/user_settings/@pann-aet/jupyterlab/plugin.jupyterlab-settings'), JSON.stringify({ colormap: 'viridis' }));
  const port = await freePort();
  const token = Math.random().toString(36).slice(2);
  let out = '';
  const server = spawn('/usr/bin/python3', ['-Xfrozen_modules=off', join(ROOT, 'extension/app/server.py'), '--ServerApp.ip=127.0.0.1', `--ServerApp.port=${port}`, `--ServerApp.token=${token}`, `--ServerApp.root_dir=${rootDir}`, '--ServerApp.open_browser=False', '--ServerApp.allow_root=True', '--MultiKernelManager.default_kernel_name=pann-aet'], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  server.stdout!.on('data', (d) => (out += d));
  server.stderr!.on('data', (d) => (out += d));
  const killer = setTimeout(() => kill(server), maxSeconds * 1000);
  killer.unref();
  const url = `http://127.0.0.1:${port}`;
  const t0 = Date.now();
  for (;;) {
    if (server.exitCode !== null) throw new Error(`lab server exited (${server.exitCode}):\n${out}`);
    if (Date.now() - t0 > 30_000) {
      kill(server);
      throw new Error(`lab server not ready in 30 s:\n${out}`);
    }
    try {
      const r = await fetch(`${url}/api/status?token=${token}`);
      if (r.ok) break;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    token,
    server,
    log: () => out,
    stop: async () => {
      clearTimeout(killer);
      try {
        // Shut kernels down through the API first so no kernel process outlives the server.
        const ks = (await (await fetch(`${url}/api/kernels?token=${token}`)).json()) as { id: string }[];
        await Promise.all(ks.map((k) => fetch(`${url}/api/kernels/${k.id}?token=${token}`, { method: 'DELETE' })));
      } catch {
        // server already gone
      }
      kill(server);
      await new Promise((r) => setTimeout(r, 300));
      rmSync(tmp, { recursive: true, force: true });
    },
  };
}

function kill(p: ChildProcess): void {
  if (p.exitCode !== null || p.pid === undefined) return;
  try {
    process.kill(-p.pid, 'SIGTERM'); // the server's process group (it and its kernels)
  } catch {
    // gone
  }
  setTimeout(() => {
    try {
      if (p.exitCode === null) process.kill(-p.pid!, 'SIGKILL');
    } catch {
      // gone
    }
  }, 3000).unref();
}

/** Headless Chromium with a fresh profile; WebGL through SwiftShader (no GPU here). */
export async function startBrowser(): Promise<{ context: BrowserContext; page: Page; close: () => Promise<void> }> {
  if (!existsSync('/usr/bin/chromium')) throw new Error('/usr/bin/chromium is missing (Debian package chromium, see .ci/apt-packages.txt)');
  const profile = mkdtempSync(join(tmpdir(), 'pann-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1400, height: 1000 },
    args: ['--no-sandbox', '--use-gl=angle', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--ignore-gpu-blocklist'],
    timeout: 60_000,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
