// Bounds the checks running at once (`tune.max-checks-per-thread`): a check
// due while the bound is reached waits its turn, first come first served,
// so a thousand servers never open a thousand check connections at once.

/** A job is handed `done`, to call once (more calls are ignored). */
export type Job = (done: () => void) => void;

export class Limiter {
  private running = 0;
  private readonly waiting: Job[] = [];

  /** @param max jobs at once; 0: no bound. */
  constructor(readonly max: number) {}

  get inFlight(): number {
    return this.running;
  }

  get queued(): number {
    return this.waiting.length;
  }

  run(job: Job): void {
    if (this.max === 0 || this.running < this.max) this.start(job);
    else this.waiting.push(job);
  }

  /** Forgets a job that has not started (its check stopped). */
  cancel(job: Job): void {
    const i = this.waiting.indexOf(job);
    if (i >= 0) this.waiting.splice(i, 1);
  }

  private start(job: Job): void {
    this.running++;
    let released = false;
    job(() => {
      if (released) return;
      released = true;
      this.running--;
      const next = this.waiting.shift();
      if (next !== undefined) this.start(next);
    });
  }
}
