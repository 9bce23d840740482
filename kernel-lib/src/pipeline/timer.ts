/** Wall-clock timing of pipeline stages, in seconds. */
export class StageTimer {
  readonly stageTimesS: Record<string, number> = {};

  /** Runs `fn`, records its wall time under `stage`, returns its result. */
  async time<T>(stage: string, fn: () => Promise<T> | T): Promise<T> {
    const t0 = performance.now();
    try {
      return await fn();
    } finally {
      this.stageTimesS[stage] = (this.stageTimesS[stage] ?? 0) + (performance.now() - t0) / 1000;
    }
  }

  totalS(): number {
    return Object.values(this.stageTimesS).reduce((s, t) => s + t, 0);
  }
}
