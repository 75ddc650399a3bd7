// The proxy's clock, read once per event instead of at every use. HAProxy
// updates its now_ms once per poll loop for the same reason: a clock read costs
// 60–120 ns on these runtimes, and one request used to read it a dozen times.
// Every entry point from the runtime (socket event, timer, settled connect)
// calls tick() first; everything it runs then reads `now`.
export class Clock {
  now: number;

  constructor(private readonly read: () => number) {
    this.now = read();
  }

  tick(): number {
    return (this.now = this.read());
  }
}
