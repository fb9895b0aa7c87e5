import type { KwsSessionRecovery } from '../recovery/session.recovery.js';
import type { KwsRecoveryLog } from '../recovery/recovery-store.interface.js';
import type { KwsConnectionDescription } from '../connection/kws.description.js';
import type { KwsConnectionPool } from '../server/connection.pool.js';
import type { KwsOutbound } from '../connection/outbound.message.js';
import type { KwsEventPacket, KwsParser } from '../events/kws-packet.interface.js';
import type { KwsPresenceListener } from './presence.js';
import type { KwsClusterSnapshot } from '../metrics/kws-stats.interface.js';
import type { KwsPage } from './kws-page.interface.js';

/**
 * The one seam for every operation that crosses connections. The default broker works inside the
 * process; a cluster broker (Redis) implements the same contract across nodes, so `Kws` and
 * `KwsServer` never know which one they talk to.
 */
export interface KwsBroker {
  /** Connects whatever the broker needs; called before the endpoint accepts sockets. */
  start(): Promise<void>;
  /** Disconnects; called after every local socket is closed. */
  stop(): Promise<void>;
  /** Claims the uuid of a connection that was just added to the local pool. */
  register(uuid: string): Promise<void>;
  /**
   * False when `register` does nothing (the in-process broker): `connect` then runs in the turn
   * the socket is accepted, without waiting for a registration. Absent: true.
   */
  readonly registersConnections?: boolean;
  /**
   * @internal Recovery on: a broker that shares sessions across nodes keeps them (and the log of
   * recoverable messages) where every node can take them, and returns the sends of that log; the
   * in-process broker has none (this node numbers and keeps the messages).
   */
  enableRecovery?(recovery: KwsSessionRecovery, parser: KwsParser): KwsRecoveryLog | undefined;
  /** Releases the uuid of a connection that left the local pool. */
  unregister(uuid: string): void;
  /** Claims `to` for a local connection now called `from`; rejects with `KwsUUIDDuplicationError`. */
  rename(from: string, to: string): Promise<void>;
  /**
   * Delivers to one uuid wherever it lives; rejects with `KwsInvalidConnectionError` (no live
   * connection) or `KwsMessageDroppedError` (live, message not delivered).
   */
  emitTo(uuid: string, message: KwsOutbound): Promise<void>;
  /** Delivers to each uuid; resolves with the uuids that could not be reached. */
  emitToList(uuids: readonly string[], message: KwsOutbound): Promise<string[]>;
  /**
   * Delivers to every connection once (only the members of `room` when given), skipping `except`
   * when given; resolves with the uuids it knows it could not reach (a cluster broker only knows
   * its own node's).
   */
  broadcast(message: KwsOutbound, except?: string, room?: string): Promise<string[]>;
  /**
   * Sends a named event to one uuid wherever it lives and resolves with the client's
   * acknowledgement (`Kws.request`); rejects as `Kws.request` does.
   */
  emitWithAck(uuid: string, packet: KwsEventPacket, timeoutMs: number): Promise<unknown>;
  /** Runs the listeners of `event` once for every connection, on the node that holds it. */
  fire(event: string, data: Buffer): Promise<void>;
  /** Closes one connection wherever it lives; rejects with `KwsInvalidConnectionError`. */
  close(uuid: string, code: number, reason: string): Promise<void>;
  /** Closes every connection. */
  closeAll(code: number, reason: string): Promise<void>;
  /** Number of live connections the broker can see. */
  count(): Promise<number>;
  /** Adds a connection, wherever it lives, to rooms; rejects with `KwsInvalidConnectionError`. */
  join(uuid: string, rooms: readonly string[]): Promise<void>;
  /** Removes a connection, wherever it lives, from rooms; rejects with `KwsInvalidConnectionError`. */
  leave(uuid: string, rooms: readonly string[]): Promise<void>;
  /** Members of a room on every node the broker sees. */
  roomSize(room: string): Promise<number>;
  /** The uuids of a room's members on every node the broker sees. */
  roomMembers(room: string): Promise<string[]>;
  /** Rooms with at least one member on a live node. */
  rooms(): Promise<string[]>;
  /**
   * Optional: one page of `rooms()`, from `cursor` ('' starts; a returned '' ends), at most
   * `count` (checked: 1 to 1,000). Rejects with `KwsError` for a cursor it did not issue. Absent:
   * `KwsServer` pages a sorted copy of `rooms()` (each page reads the whole list).
   */
  roomsPage?(cursor: string, count: number): Promise<KwsPage>;
  /** Optional: one page of `roomMembers(room)`, as `roomsPage`. */
  roomMembersPage?(room: string, cursor: string, count: number): Promise<KwsPage>;
  /**
   * Registers a presence listener: each join and leave of a room is announced once (on one node
   * in a cluster); returns a function that removes the listener.
   */
  onPresence(listener: KwsPresenceListener): () => void;
  /** Optional: figures for `KwsServer.stats()` and the health indicator (a cluster broker's). */
  clusterSnapshot?(): KwsClusterSnapshot;
  /** Optional: live connections per live node id (the inspector's per-node figures). */
  nodeCounts?(): Promise<Record<string, number>>;
  /**
   * Optional: keeps this node's latest inspector sample (JSON) where every node can read it: the
   * last `keep` of them, gone `ttlMs` after the last write (the inspector's cluster charts).
   */
  shareSample?(sample: string, keep: number, ttlMs: number): Promise<void>;
  /** Optional: the inspector samples each of `nodes` shared (oldest first), per node id. */
  nodeSamples?(nodes: readonly string[]): Promise<Record<string, string[]>>;
  /** Optional: a connection's description from the node holding it (the inspector's lookup). */
  describe?(uuid: string): Promise<KwsConnectionDescription>;
}

/** Builds the broker of an endpoint from the node's local connection pool. */
export type KwsBrokerFactory = (pool: KwsConnectionPool) => KwsBroker;
