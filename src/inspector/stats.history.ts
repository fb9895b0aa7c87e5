import type { KwsTimers } from '../metrics/kws.stats.js';
import type { KwsStatsSnapshot } from '../metrics/kws-stats.interface.js';

/** One interval of this node's figures, as the page's charts plot them. */
export interface KwsInspectorSample {
  /** End of the interval (epoch ms). */
  at: number;
  /** Open connections on this node at that moment. */
  connections: number;
  /** Data frames received, and messages written, per second over the interval. */
  inPerSecond: number;
  outPerSecond: number;
  /** Listener errors in the interval. */
  listenerErrors: number;
  /** Acknowledged events in the interval, their mean and slowest latency (ms); 0 without any. */
  acks: number;
  ackMeanMs: number;
  ackMaxMs: number;
}

/**
 * @internal A fixed ring of per-interval samples taken from the same counters Prometheus reads
 * (`KwsServer.stats()`): the differences between two snapshots, plus the ack latencies seen in
 * between. Memory is bounded by `capacity`; nothing is done per message but one addition per ack.
 */
export class KwsStatsHistory {
  private readonly ring: KwsInspectorSample[] = [];
  private previous: { at: number; in: number; out: number; errors: number } | undefined;
  private acks = 0;
  private ackTotalMs = 0;
  private ackMaxMs = 0;

  constructor(readonly capacity: number) {}

  /**
   * Timers that record ack latencies, then pass every call on to `next` (Prometheus's, if on).
   * Listener runs are timed only for `next`: without Prometheus they are not timed at all.
   */
  timers(next: KwsTimers | undefined): KwsTimers {
    const listener = next?.listener;
    return {
      listener: listener && ((event, seconds) => listener(event, seconds)),
      ack: (event, seconds) => {
        const ms = seconds * 1000;
        this.acks++;
        this.ackTotalMs += ms;
        if (ms > this.ackMaxMs) this.ackMaxMs = ms;
        next?.ack(event, seconds);
      },
    };
  }

  /**
   * Closes the current interval with `snapshot` (taken at `at`) and returns its sample; the first
   * call only starts one.
   */
  sample(snapshot: KwsStatsSnapshot, at: number): KwsInspectorSample | undefined {
    const now = {
      at,
      in: snapshot.messages.in,
      out: snapshot.messages.out,
      errors: snapshot.listenerErrors,
    };
    const before = this.previous;
    this.previous = now;
    if (!before) return undefined;
    const seconds = Math.max(0.001, (at - before.at) / 1000);
    const sample: KwsInspectorSample = {
      at,
      connections: snapshot.connections,
      inPerSecond: round((now.in - before.in) / seconds),
      outPerSecond: round((now.out - before.out) / seconds),
      listenerErrors: now.errors - before.errors,
      acks: this.acks,
      ackMeanMs: this.acks ? round(this.ackTotalMs / this.acks) : 0,
      ackMaxMs: round(this.ackMaxMs),
    };
    this.ring.push(sample);
    if (this.ring.length > this.capacity) this.ring.shift();
    this.acks = 0;
    this.ackTotalMs = 0;
    this.ackMaxMs = 0;
    return sample;
  }

  /** The kept samples, oldest first (a copy). */
  samples(): KwsInspectorSample[] {
    return [...this.ring];
  }
}

/** @internal A sample as nodes share it in Redis: an array, about 60 bytes of JSON. */
export function encodeSample(s: KwsInspectorSample): string {
  return JSON.stringify([
    s.at,
    s.connections,
    s.inPerSecond,
    s.outPerSecond,
    s.listenerErrors,
    s.acks,
    s.ackMeanMs,
    s.ackMaxMs,
  ]);
}

/** @internal The sample `encodeSample` wrote; undefined for anything else. */
export function decodeSample(text: string): KwsInspectorSample | undefined {
  let a: unknown;
  try {
    a = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!Array.isArray(a) || a.length !== 8 || !a.every((n) => typeof n === 'number')) {
    return undefined;
  }
  const [at, connections, inPerSecond, outPerSecond, listenerErrors, acks, ackMeanMs, ackMaxMs] =
    a as number[];
  return {
    at,
    connections,
    inPerSecond,
    outPerSecond,
    listenerErrors,
    acks,
    ackMeanMs,
    ackMaxMs,
  };
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
