/**
 * Bounds the client messages one connection may have in its listeners at once (`maxInFlight`).
 * Only messages with an async listener count: one whose listeners all return synchronously is
 * done before the next frame is read. While no connection waits on a listener, `admit` is one
 * comparison; counts live in a WeakMap only while a connection has something in flight.
 */
export class KwsInFlightLimit {
  private readonly counts = new WeakMap<object, number>();
  /** Connections already told (one `error` event) since they last had nothing in flight. */
  private readonly reported = new WeakSet<object>();
  /** Connections with at least one message in flight. */
  private busy = 0;

  constructor(readonly max: number) {}

  /** Whether `kws` may start one more message now. */
  admit(kws: object): boolean {
    if (this.busy === 0) return true;
    const count = this.counts.get(kws);
    return count === undefined || count < this.max;
  }

  /** `settled` is one message's listeners, still running: counted until it settles. */
  track(kws: object, settled: PromiseLike<unknown>): void {
    const count = this.counts.get(kws);
    if (count === undefined) this.busy++;
    this.counts.set(kws, (count ?? 0) + 1);
    const release = (): void => this.release(kws);
    settled.then(release, release);
  }

  /** True for the first refusal since `kws` last had nothing in flight: one report per episode. */
  firstRefusal(kws: object): boolean {
    if (this.reported.has(kws)) return false;
    this.reported.add(kws);
    return true;
  }

  private release(kws: object): void {
    const count = (this.counts.get(kws) ?? 1) - 1;
    if (count > 0) {
      this.counts.set(kws, count);
      return;
    }
    this.counts.delete(kws);
    this.reported.delete(kws);
    this.busy--;
  }
}
