/**
 * Executes a notebook top to bottom on the "TypeScript (pann-aet)" kernel with Debian's
 * `jupyter nbconvert --execute` (nbclient), in a private Jupyter data/config/runtime folder, and returns
 * the executed notebook for assertions. Needs `npm run build` and the packages in .ci/apt-packages.txt.
 */
import { execFileSync, spawnSync } from 'child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join, resolve } from 'path';

export const ROOT = resolve(__dirname, '../..');
const MAIN = join(ROOT, 'kernel-lib/dist/kernel/main.js');

/* eslint-disable @typescript-eslint/no-explicit-any -- nbformat JSON */
export interface Output { output_type: string; name?: string; text?: string | string[]; data?: Record<string, any>; ename?: string; evalue?: string }
export interface Cell { cell_type: string; source: string | string[]; outputs?: Output[] }
export interface Notebook { cells: Cell[] }

export class NotebookRunner {
  private readonly tmp = mkdtempSync(join(tmpdir(), 'pann-nb-'));
  readonly env: NodeJS.ProcessEnv = {
    ...process.env,
    JUPYTER_DATA_DIR: join(this.tmp, 'data'),
    JUPYTER_CONFIG_DIR: join(this.tmp, 'config'),
    JUPYTER_RUNTIME_DIR: join(this.tmp, 'runtime'),
    PYDEVD_DISABLE_FILE_VALIDATION: '1',
  };

  constructor() {
    if (!existsSync(MAIN)) throw new Error('kernel-lib/dist is missing: run `npm run build` first');
    execFileSync(process.execPath, [MAIN, 'install', '--user'], { env: this.env, stdio: 'pipe' });
  }

  /** Runs notebooks/NAME; throws with nbconvert's output when a cell fails. */
  execute(name: string, extraEnv: Record<string, string> = {}, timeoutS = 800): Notebook {
    const out = join(this.tmp, name);
    const r = spawnSync('jupyter', ['nbconvert', '--to', 'notebook', '--execute', `--ExecutePreprocessor.timeout=${timeoutS}`, '--ExecutePreprocessor.kernel_name=pann-aet', '--output', out, join(ROOT, 'notebooks', name)], {
      env: { ...this.env, ...extraEnv },
      cwd: join(ROOT, 'notebooks'),
      encoding: 'utf8',
      timeout: (timeoutS + 60) * 1000,
    });
    if (r.status !== 0) throw new Error(`nbconvert failed on ${name} (status ${r.status}):\n${r.stderr.slice(-6000)}`);
    return JSON.parse(readFileSync(out, 'utf8'));
  }

  dispose(): void {
    rmSync(this.tmp, { recursive: true, force: true });
  }
}

const text = (t: string | string[] | undefined) => (Array.isArray(t) ? t.join('') : (t ?? ''));

/** All stdout of a notebook, cell by cell joined. */
export function stdout(nb: Notebook): string {
  return nb.cells.flatMap((c) => c.outputs ?? []).filter((o) => o.output_type === 'stream' && o.name === 'stdout').map((o) => text(o.text)).join('');
}

/** Every output of a MIME type, in order. */
export function outputsOf(nb: Notebook, mime: string): any[] {
  return nb.cells.flatMap((c) => c.outputs ?? []).filter((o) => o.data && mime in o.data).map((o) => o.data![mime]);
}

/** Error outputs (should be none). */
export function errors(nb: Notebook): Output[] {
  return nb.cells.flatMap((c) => c.outputs ?? []).filter((o) => o.output_type === 'error');
}

/** Rows of the markdown metric tables (pann.formatMetricsTable) as objects keyed by column header. */
export function metricRows(nb: Notebook): Record<string, string>[] {
  const rows: Record<string, string>[] = [];
  for (const md of outputsOf(nb, 'text/markdown').map(text)) {
    const lines = md.split('\n').filter((l: string) => l.startsWith('|'));
    if (lines.length < 3) continue;
    const head = lines[0].split('|').slice(1, -1).map((h: string) => h.trim());
    for (const l of lines.slice(2)) {
      const cells = l.split('|').slice(1, -1).map((c: string) => c.trim());
      rows.push(Object.fromEntries(head.map((h: string, i: number) => [h || 'label', cells[i]])));
    }
  }
  return rows;
}

/** "53.8 %" → 0.538 */
export const pct = (s: string) => Number.parseFloat(s) / 100;
