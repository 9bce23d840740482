/**
 * Terminal progress bars for the CLI (cli-progress), one bar per stage, drawn on stderr so stdout stays
 * machine-readable JSON. Falls back to plain log lines when stderr is not a TTY (CI logs).
 */
import { SingleBar, Presets } from 'cli-progress';
import type { ProgressCallback, ProgressEvent } from '../core/types';

export function terminalProgress(quiet = false): ProgressCallback & { stop(): void } {
  let bar: SingleBar | undefined;
  let stage = '';
  let lastLogged = -1;
  const tty = process.stderr.isTTY;
  const cb = ((e: ProgressEvent) => {
    if (quiet) return;
    if (e.stage !== stage) {
      bar?.stop();
      bar = undefined;
      stage = e.stage;
      lastLogged = -1;
      if (tty) {
        bar = new SingleBar({ format: `${e.stage.padEnd(12)} [{bar}] {percentage}% {value}/{total} {message}`, stream: process.stderr, hideCursor: true }, Presets.shades_classic);
        bar.start(e.total, 0, { message: '' });
      }
    }
    if (bar) {
      bar.setTotal(e.total);
      bar.update(e.done, { message: e.message ?? '' });
      if (e.done >= e.total) {
        bar.stop();
        bar = undefined;
        stage = '';
      }
    } else {
      const pct = Math.floor((100 * e.done) / Math.max(1, e.total));
      if (pct >= lastLogged + 25 || e.done >= e.total) {
        lastLogged = pct;
        process.stderr.write(`${e.stage}: ${pct}% (${e.done}/${e.total})${e.message ? ' ' + e.message : ''}\n`);
      }
    }
  }) as ProgressCallback & { stop(): void };
  cb.stop = () => bar?.stop();
  return cb;
}
