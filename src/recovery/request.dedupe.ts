import type { Kws } from '../connection/kws.js';

/**
 * Requests a session remembers by their `rid`: the last REQUEST_WINDOW of each session. A retry
 * of one (its answer was lost with the link) gets the first run's outcome, or waits for the run
 * still in progress, instead of running the listener again (docs/protocol.md). Held per `Kws`,
 * which a resume on the same node keeps; a session moved to another node starts an empty window.
 */
export const REQUEST_WINDOW = 128;

const windows = new WeakMap<Kws, Map<number, unknown>>();

/**
 * Runs `run` unless this session already ran the request `rid` (then its outcome, or the promise
 * of it, comes back). Without a `rid` it just runs.
 */
export function runOnce<T>(kws: Kws, rid: number | undefined, run: () => T): T {
  if (rid === undefined) return run();
  let seen = windows.get(kws);
  if (!seen) windows.set(kws, (seen = new Map()));
  if (seen.has(rid)) return seen.get(rid) as T;
  const outcome = track(kws, run());
  seen.set(rid, outcome);
  // Oldest out first (a Map keeps insertion order).
  if (seen.size > REQUEST_WINDOW) seen.delete(seen.keys().next().value!);
  return outcome;
}

const running = new WeakMap<Kws, Set<PromiseLike<unknown>>>();

/** Tracks a request's run until it settles (`requestsRunning`); returns it. */
function track<T>(kws: Kws, outcome: T): T {
  if (!isThenable(outcome)) return outcome;
  let set = running.get(kws);
  if (!set) running.set(kws, (set = new Set()));
  set.add(outcome);
  const done = (): void => void set.delete(outcome);
  outcome.then(done, done);
  return outcome;
}

/** The runs of `rid` requests of this session still in progress (a handover lets them answer). */
export function requestsRunning(kws: Kws): PromiseLike<unknown>[] {
  return Array.from(running.get(kws) ?? []);
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | undefined)?.then === 'function';
}
