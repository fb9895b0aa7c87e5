import type { KwsBroker } from '../broker/kws-broker.interface.js';
import type { KwsStatsSnapshot } from '../metrics/kws-stats.interface.js';
import { encodeSample, KwsStatsHistory } from './stats.history.js';

/** A node's shared samples outlive its last write by this many intervals (at least 2 s). */
const TTL_INTERVALS = 3;
const MIN_TTL_MS = 2_000;

/**
 * @internal Samples this node's figures on ticks aligned to the interval (`at` a multiple of it),
 * so every node of a cluster samples at the same moments and their series add up per tick. In
 * cluster mode each sample is also appended to this node's list in Redis (one MULTI per tick,
 * the last 60 kept), which expires a few intervals after the node stops writing.
 */
export class KwsStatsSampler {
  private timer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(
    readonly history: KwsStatsHistory,
    /** Milliseconds between two samples. */
    readonly interval: number,
    private readonly snapshot: () => KwsStatsSnapshot,
    private readonly broker: KwsBroker,
  ) {}

  /** How long a node's shared samples stay after its last write. */
  get ttl(): number {
    return Math.max(TTL_INTERVALS * this.interval, MIN_TTL_MS);
  }

  /** Starts the interval now; the first sample comes at the next multiple of `interval`. */
  start(): void {
    this.running = true;
    this.history.sample(this.snapshot(), Date.now());
    this.schedule();
  }

  stop(): void {
    this.running = false;
    clearTimeout(this.timer);
  }

  private schedule(): void {
    if (!this.running) return;
    this.timer = setTimeout(() => this.tick(), this.interval - (Date.now() % this.interval));
    this.timer.unref();
  }

  private tick(): void {
    const sample = this.history.sample(this.snapshot(), Date.now());
    if (sample && this.broker.shareSample) {
      // Redis away: this tick's sample is missing from the other nodes' charts, nothing more.
      this.broker
        .shareSample(encodeSample(sample), this.history.capacity, this.ttl)
        .catch(() => undefined);
    }
    this.schedule();
  }
}
