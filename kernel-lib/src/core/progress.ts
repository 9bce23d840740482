/** Helpers for reporting progress from long loops without flooding the receiver. */
import type { ProgressCallback } from './types';

/** Returns a reporter that forwards at most ~100 events per stage (plus the last one). */
export function throttledProgress(stage: string, total: number, cb?: ProgressCallback): (done: number, message?: string) => void {
  if (!cb) return () => undefined;
  const step = Math.max(1, Math.floor(total / 100));
  let last = -1;
  return (done, message) => {
    if (done === total || done - last >= step) {
      last = done;
      cb({ stage, done, total, message });
    }
  };
}

/** Yields to the event loop so a notebook kernel stays responsive (comm messages, interrupts). */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
