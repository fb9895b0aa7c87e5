import {
  DEFAULT_MAX_SUSPENDED,
  DEFAULT_MAX_SUSPENDED_PER_ADDRESS,
} from './recovery-options.interface.js';

/** The option whose bound refused a suspension. */
export type KwsSuspendRefusal = 'maxSuspended' | 'maxSuspendedPerAddress';

/**
 * Bounds the suspended sessions one node keeps (`recovery.maxSuspendedPerAddress` per client
 * address, `recovery.maxSuspended` in all): a client that connects and drops in a loop would
 * otherwise leave one session per connection for `maxDisconnection` ms. Past a bound the dropped
 * connection is not suspended: it ends at once (one `disconnect`), as with recovery off.
 * One entry per suspended session, keyed by the session object; `release` is idempotent.
 */
export class KwsSuspendedSessionsLimit {
  /** Each suspended session and the address it was counted under. */
  private readonly held = new Map<object, string>();
  private readonly perAddress = new Map<string, number>();

  constructor(
    readonly maxPerAddress: number = DEFAULT_MAX_SUSPENDED_PER_ADDRESS,
    readonly max: number = DEFAULT_MAX_SUSPENDED,
  ) {}

  /** Suspended sessions counted now. */
  get size(): number {
    return this.held.size;
  }

  /**
   * `session` (its client at `address`) is about to be suspended: counts it and returns undefined,
   * or returns the option that refuses it (nothing counted: end the session instead). A session
   * already counted is admitted again without a second count.
   */
  admit(session: object, address: string): KwsSuspendRefusal | undefined {
    if (this.held.has(session)) return undefined;
    if (this.held.size >= this.max) return 'maxSuspended';
    const count = this.perAddress.get(address) ?? 0;
    if (count >= this.maxPerAddress) return 'maxSuspendedPerAddress';
    this.held.set(session, address);
    this.perAddress.set(address, count + 1);
    return undefined;
  }

  /** `session` is no longer suspended (resumed, moved, expired or ended); a no-op if not counted. */
  release(session: object): void {
    const address = this.held.get(session);
    if (address === undefined) return;
    this.held.delete(session);
    const count = this.perAddress.get(address)! - 1;
    if (count > 0) this.perAddress.set(address, count);
    else this.perAddress.delete(address);
  }
}
