import { KwsState, type Kws } from '../connection/kws.js';
import type { KwsDispatchOutcome } from '../events/event.dispatcher.js';
import { REQUEST_OUTCOME_NOT_KEPT, REQUEST_OUTCOME_UNKNOWN } from '../kws.messages.js';

/**
 * Requests a session remembers by their `rid`: the last REQUEST_WINDOW of each session. A retry
 * of one (its answer was lost with the link) gets the first run's outcome, or waits for the run
 * still in progress, instead of running the listener again (docs/protocol.md). Held per `Kws`,
 * which a resume on the same node keeps; in cluster mode the window travels with the session's
 * snapshot (request.outcomes.ts) to the node it resumes on.
 */
export const REQUEST_WINDOW = 128;

/** What a session remembers of one request. */
interface Remembered {
  /** What a retry gets: the outcome, or the promise of it (unset: see `runner`). */
  outcome?: KwsDispatchOutcome | PromiseLike<KwsDispatchOutcome>;
  /** Once known. */
  settled?: KwsDispatchOutcome;
  /** A session moved here while its node still ran it: that node (its answer comes by the log). */
  runner?: string;
  resolve?: (outcome: KwsDispatchOutcome) => void;
}

/** One request of a window as it leaves a node or arrives on one. */
export interface KwsRememberedRequest {
  rid: number;
  /** Its outcome, once known. */
  settled?: KwsDispatchOutcome;
  /** Still running, on this node (undefined in `rememberedRequests`) or on the one named. */
  runner?: string;
}

const windows = new WeakMap<Kws, Map<number, Remembered>>();

function windowOf(kws: Kws): Map<number, Remembered> {
  let seen = windows.get(kws);
  if (!seen) windows.set(kws, (seen = new Map()));
  return seen;
}

/**
 * Runs `run` unless this session already ran the request `rid` (then its outcome, or the promise
 * of it, comes back). Without a `rid` it just runs.
 */
export function runOnce(
  kws: Kws,
  rid: number | undefined,
  run: () => KwsDispatchOutcome | PromiseLike<KwsDispatchOutcome>,
): KwsDispatchOutcome | PromiseLike<KwsDispatchOutcome> {
  if (rid === undefined) return run();
  const seen = windowOf(kws);
  const known = seen.get(rid);
  if (known) return known.outcome ?? awaitRunner(kws, known);
  const entry: Remembered = {};
  const outcome = run();
  entry.outcome = outcome;
  remember(seen, rid, entry);
  if (!isThenable(outcome)) entry.settled = outcome;
  else track(kws, outcome, (settled) => settledHere(kws, rid, entry, settled));
  return outcome;
}

function remember(seen: Map<number, Remembered>, rid: number, entry: Remembered): void {
  seen.set(rid, entry);
  // Oldest out first (a Map keeps insertion order).
  if (seen.size > REQUEST_WINDOW) seen.delete(seen.keys().next().value!);
}

/**
 * A run settled. If its session is no longer connected here (suspended, handed over, moved), the
 * client may retry on another node: the store passes the outcome on (cluster mode).
 */
function settledHere(kws: Kws, rid: number, entry: Remembered, settled: KwsDispatchOutcome) {
  entry.settled = settled;
  if (kws.state !== KwsState.Connected)
    kws.context.recovery?.store?.settledAway?.(kws, rid, settled);
}

/**
 * A retry of a request its former node was still running when the session moved here: waits for
 * that node's answer (through the log, `settleAway`), or, once that node is gone, answers with
 * `unknown` (status 409): the listener may have run; it does not run a second time.
 */
function awaitRunner(kws: Kws, entry: Remembered): PromiseLike<KwsDispatchOutcome> {
  const store = kws.context.recovery?.store;
  const waiting = new Promise<KwsDispatchOutcome>((resolve) => (entry.resolve = resolve));
  entry.outcome = waiting;
  const done = (): boolean => entry.settled !== undefined || kws.state === KwsState.Ended;
  const gone = store?.runnerGone?.(kws.uuid, entry.runner!, done) ?? Promise.resolve();
  void gone.then(() => settle(entry, RUNNER_GONE));
  return waiting;
}

function settle(entry: Remembered, outcome: KwsDispatchOutcome): void {
  if (entry.settled) return;
  entry.settled = outcome;
  entry.runner = undefined;
  if (entry.resolve) entry.resolve(outcome);
  else entry.outcome = outcome;
}

/** The answer of a request whose former node went away before it settled (docs/protocol.md). */
export const RUNNER_GONE: KwsDispatchOutcome = Object.freeze({
  listeners: 1,
  value: undefined,
  error: undefined,
  ackError: Object.freeze({ message: REQUEST_OUTCOME_UNKNOWN, status: 409 }),
});

/** The answer of a request whose outcome was too big to travel with its session. */
export const OUTCOME_NOT_KEPT: KwsDispatchOutcome = Object.freeze({
  listeners: 1,
  value: undefined,
  error: undefined,
  ackError: Object.freeze({ message: REQUEST_OUTCOME_NOT_KEPT, status: 409 }),
});

/**
 * The node that ran request `rid` (`runner`) tells its outcome: a retry waiting for it gets it.
 * Nothing happens unless this session has that request as running on that node.
 */
export function settleAway(kws: Kws, runner: string, rid: number, outcome: KwsDispatchOutcome) {
  const entry = windows.get(kws)?.get(rid);
  if (entry?.runner === runner) settle(entry, outcome);
}

/** This session's window, oldest first: what a snapshot carries. */
export function rememberedRequests(kws: Kws): KwsRememberedRequest[] {
  const seen = windows.get(kws);
  if (!seen) return [];
  return Array.from(seen, ([rid, entry]) => ({
    rid,
    settled: entry.settled,
    runner: entry.settled ? undefined : entry.runner,
  }));
}

/**
 * A session moved here: its window as its former node saved it, oldest first (after what came
 * through the log meanwhile; `settled` is unset for a request still running on `runner`).
 */
export function restoreRequests(kws: Kws, requests: readonly KwsRememberedRequest[]): void {
  if (requests.length === 0) return;
  const seen = windowOf(kws);
  for (const { rid, settled, runner } of requests) {
    if (settled) remember(seen, rid, { outcome: settled, settled });
    else if (runner) remember(seen, rid, { runner });
  }
}

const running = new WeakMap<Kws, Set<PromiseLike<unknown>>>();

/** Tracks a request's run until it settles (`requestsRunning`). */
function track(
  kws: Kws,
  outcome: PromiseLike<KwsDispatchOutcome>,
  settled: (outcome: KwsDispatchOutcome) => void,
): void {
  let set = running.get(kws);
  if (!set) running.set(kws, (set = new Set()));
  set.add(outcome);
  outcome.then(
    (value) => {
      set.delete(outcome);
      settled(value);
    },
    () => void set.delete(outcome),
  );
}

/** The runs of `rid` requests of this session still in progress (a handover lets them answer). */
export function requestsRunning(kws: Kws): PromiseLike<unknown>[] {
  return Array.from(running.get(kws) ?? []);
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | undefined)?.then === 'function';
}
