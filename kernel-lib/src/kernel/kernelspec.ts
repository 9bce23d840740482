/** The "TypeScript (pann-aet)" kernelspec: tslab with comms, started by this package's launcher. */
import { spawnSync } from 'child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join, resolve } from 'path';
import { PannError } from '../core/errors';

/** Kernelspec name (folder under share/jupyter/kernels). */
export const KERNEL_NAME = 'pann-aet';
/** Name shown in JupyterLab's launcher and kernel picker. */
export const KERNEL_DISPLAY_NAME = 'TypeScript (pann-aet)';

/** Contents of kernel.json. */
export interface KernelSpec {
  argv: string[];
  display_name: string;
  language: string;
  interrupt_mode: 'signal';
  metadata: Record<string, unknown>;
}

/**
 * The kernel.json for this installation: the current Node binary runs the compiled launcher.
 * @param nodePath - Node executable (default: the one running now).
 * @param mainScript - compiled `kernel/main.js` (default: next to this file).
 */
export function kernelSpec(nodePath = process.execPath, mainScript = resolve(__dirname, 'main.js')): KernelSpec {
  return {
    argv: [nodePath, mainScript, 'kernel', '--config-path', '{connection_file}'],
    display_name: KERNEL_DISPLAY_NAME,
    language: 'typescript',
    interrupt_mode: 'signal',
    metadata: { 'pann-aet': { tslab: require('tslab/package.json').version } },
  };
}

/** Where to install the kernelspec (as `jupyter kernelspec install`). */
export interface InstallOptions {
  /** Install into the per-user data dir (honours JUPYTER_DATA_DIR). */
  user?: boolean;
  /** Install into PREFIX/share/jupyter/kernels. */
  prefix?: string;
  /** Python with jupyter_client (default /usr/bin/python3 when it exists, else python3). */
  python?: string;
}

/**
 * Install the kernelspec with jupyter_client's KernelSpecManager; returns the installed folder.
 * Throws a PannError naming the python when jupyter_client is missing.
 */
export function installKernelSpec(options: InstallOptions = {}): string {
  const python = options.python ?? (require('fs').existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');
  const dir = mkdtempSync(join(tmpdir(), 'pann-kernelspec-'));
  try {
    writeFileSync(join(dir, 'kernel.json'), JSON.stringify(kernelSpec(), null, 1));
    const script = [
      'import sys, json',
      'from jupyter_client.kernelspec import KernelSpecManager',
      'a = json.loads(sys.argv[1])',
      "print(KernelSpecManager().install_kernel_spec(a['src'], a['name'], user=a['user'], prefix=a['prefix']))",
    ].join('\n');
    const args = JSON.stringify({ src: dir, name: KERNEL_NAME, user: !!options.user && !options.prefix, prefix: options.prefix ?? null });
    const r = spawnSync(python, ['-c', script, args], { encoding: 'utf8' });
    if (r.status !== 0) {
      throw new PannError('STATE', `installing the kernelspec with ${python} failed (is jupyter_client installed?): ${r.error?.message ?? r.stderr.trim()}`, { field: 'python' });
    }
    return r.stdout.trim().split('\n').pop()!;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
