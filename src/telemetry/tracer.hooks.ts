import type { Kws } from '../connection/kws.js';
import type { KwsDispatchOutcome } from '../events/event.dispatcher.js';

/**
 * What the traced stages call while `tracing: true` (implemented by `KwsTracer`). Kept
 * free of @opentelemetry/api types, so the published typings compile without that optional peer.
 */
export interface KwsTracerHooks {
  /** A socket passed the upgrade gate (or a resume's checks start): the connect span opens. */
  opening(kws: Kws, resume: boolean): void;
  /** Runs `connect` listeners inside the connect span. */
  inConnect<T>(kws: Kws, run: () => T): T;
  /** `connect` decided: accepted (`code` 0) or refused with its close code. */
  decided(kws: Kws, code: number): void;
  /** A client's event packet: its listeners (`run`) inside a `process` span. */
  event(
    kws: Kws,
    event: string,
    ackId: number | undefined,
    carrier: unknown,
    bytes: number,
    run: () => KwsDispatchOutcome | Promise<KwsDispatchOutcome>,
  ): KwsDispatchOutcome | Promise<KwsDispatchOutcome>;
  /** `kws.request`: a span until `answer` settles. */
  request(kws: Kws, event: string, id: number, answer: Promise<unknown>): void;
  /** `KwsServer.request` to another node: a span around `call`. */
  remoteRequest<T>(uuid: string, event: string, call: () => Promise<T>): Promise<T>;
}
