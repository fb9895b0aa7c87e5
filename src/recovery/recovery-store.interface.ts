import type { Kws } from '../connection/kws.js';
import type { KwsDeliveryPath } from '../connection/delivery.path.js';
import type { KwsOutbound } from '../connection/outbound.message.js';
import type { KwsDispatchOutcome } from '../events/event.dispatcher.js';
import type { KwsRememberedRequest } from './request.dedupe.js';

/** A session taken from the cluster by its token, to go on on this node. */
export interface KwsMovedSession {
  uuid: string;
  attributes: Record<string, unknown>;
  rooms: string[];
  /** What the client missed after its offset, in order, framed with their offsets. */
  replay: KwsOutbound[];
  /** Its rid window (oldest first), with the answers of its former node's runs known so far. */
  requests?: KwsRememberedRequest[];
  /** Call once the session's connection is in the pool: live delivery goes on after the replay. */
  adopted(kws: Kws): void;
  /** Call instead when it does not go on here (its socket closed, or its uuid is taken here). */
  abandoned(): void;
}

/**
 * Where sessions live beyond this node (cluster mode): their snapshots (uuid, attributes, rooms)
 * and the log of recoverable messages, so that a client can resume on any node, even after the
 * node that held its session died. With a store, offsets are assigned by the log: the endpoint's
 * delivery is then `KwsLogDelivery`, which sends named events through the broker's `KwsRecoveryLog`.
 */
export interface KwsRecoveryStore {
  /** The session got a new token (`previous` is void now), or its attributes or rooms changed. */
  saved(kws: Kws, previous?: string): void;
  /**
   * The connection dropped (or is handed over): the snapshot lives `maxDisconnection` more, then
   * is gone. Resolves once the store has it (a handover waits for that before closing the socket).
   */
  suspended(kws: Kws): void | Promise<unknown>;
  /** The session ended for good: its token is void everywhere. */
  ended(kws: Kws): void;
  /** The uuid of the session a token names, without taking it (undefined: none, or unreachable). */
  uuidOf(token: string): Promise<string | undefined>;
  /**
   * Takes a session of another node (or of a dead one) by its token; undefined when refused,
   * 'in-use' when a live node still holds it on a socket it has not seen drop.
   */
  take(token: string, offset: string): Promise<KwsMovedSession | 'in-use' | undefined>;
  /** Takes under way (asked, or taken and not yet adopted): a handover waits for them to land. */
  taking?(): number;
  /**
   * A request with a `rid` settled on this node after its session stopped being connected here:
   * the node its session resumes on may be waiting for the answer (a retry).
   */
  settledAway?(kws: Kws, rid: number, outcome: KwsDispatchOutcome): void;
  /**
   * Resolves once `node` (which ran a request of the session `uuid` when it moved here) is gone,
   * or at the latest after `maxDisconnection`; stops asking once `done()` is true.
   */
  runnerGone?(uuid: string, node: string, done: () => boolean): Promise<void>;
}

/**
 * A broker's log of recoverable messages (cluster mode): what is sent through it is numbered by it
 * and delivered from it, in its order, on every node.
 */
export type KwsRecoveryLog = Pick<KwsDeliveryPath, 'emitTo' | 'emitToList' | 'broadcast'>;
