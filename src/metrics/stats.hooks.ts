import type { Kws } from '../connection/kws.js';
import type { KwsDispatchOutcome } from '../events/event.dispatcher.js';

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
 * Runs an event packet's listeners (`run`); while Prometheus is on and the packet asked for an
 * acknowledgement, times it from arrival to the outcome its ack is made of. Events nobody listens
 * to are not timed: their names come from the client, and labels must stay bounded.
 */
export function timeAck(
  kws: Kws,
  event: string,
  ackId: number | undefined,
  run: () => KwsDispatchOutcome | Promise<KwsDispatchOutcome>,
): KwsDispatchOutcome | Promise<KwsDispatchOutcome> {
  const timers = kws.context.stats?.timers;
  if (timers === undefined || ackId === undefined) return run();
  const started = performance.now();
  const done = (settled: KwsDispatchOutcome): void => {
    if (settled.listeners > 0) timers.ack(event, (performance.now() - started) / 1000);
  };
  const outcome = run();
  if (outcome instanceof Promise) outcome.then(done, () => undefined);
  else done(outcome);
  return outcome;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as PromiseLike<unknown>).then === 'function'
  );
}
