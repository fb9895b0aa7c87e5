import type { Kws } from '../connection/kws.js';
import type { KwsDispatchOutcome } from '../events/event.dispatcher.js';
import type { KwsTimers } from './kws.stats.js';

// The one-line calls other stages make into metrics, kept here so their files stay about their job.

/** Calls a listener; while Prometheus is on, also times it (until its promise settles). */
export function callListener<P extends { kws: Kws; name: string }>(
  listener: (payload: P) => unknown,
  payload: P,
): unknown {
  const timed = payload.kws.context.stats?.timers?.listener;
  if (timed === undefined) return listener(payload);
  const started = performance.now();
  const done = (): void => timed(payload.name, (performance.now() - started) / 1000);
  let result: unknown;
  try {
    result = listener(payload);
  } catch (error) {
    done();
    throw error;
  }
  // A second, handled branch of the promise: the caller still sees (and handles) its rejection.
  if (isThenable(result)) result.then(done, done);
  else done();
  return result;
}

/**
 * Records an event packet's ack latency, `started` (a `performance.now()` at its arrival) to its
 * outcome, which the caller is about to answer with. Events nobody listens to are not timed:
 * their names come from the client, and labels must stay bounded.
 */
export function ackTimed(
  timers: KwsTimers,
  event: string,
  started: number,
  outcome: KwsDispatchOutcome,
): void {
  if (outcome.listeners > 0) timers.ack(event, (performance.now() - started) / 1000);
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as PromiseLike<unknown>).then === 'function'
  );
}
