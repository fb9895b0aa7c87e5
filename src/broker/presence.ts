import { Logger } from '@nestjs/common';
import { PRESENCE_LISTENER_FAILED } from '../kws.messages.js';

/** Why a connection joined or left a room. */
export type KwsPresenceReason =
  /** `kws.join`/`kws.leave`, or `KwsServer.join`/`leave` from any node. */
  | 'joined'
  | 'left'
  /** The connection ended (every room it was in). */
  | 'disconnected'
  /** `setUUID`: the old uuid left, the new one joined. */
  | 'renamed'
  /** Cluster mode: the node holding it died; announced by the node that cleaned up after it. */
  | 'node-died';

/** A change of a room's membership, announced once cluster-wide (see `KwsServer.onPresence`). */
export interface KwsPresenceEvent {
  type: 'join' | 'leave';
  room: string;
  uuid: string;
  reason: KwsPresenceReason;
}

/** A presence listener, as registered with `KwsServer.onPresence`. */
export type KwsPresenceListener = (event: KwsPresenceEvent) => unknown;

/** The presence listeners of one broker; a failing listener is logged, never thrown. */
export class PresenceListeners {
  private readonly logger = new Logger('KwsPresence');
  private readonly listeners = new Set<KwsPresenceListener>();

  add(listener: KwsPresenceListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(event: KwsPresenceEvent): void {
    for (const listener of this.listeners) {
      try {
        const result = listener(event);
        if (result instanceof Promise) result.catch((error: unknown) => this.failed(event, error));
      } catch (error) {
        this.failed(event, error);
      }
    }
  }

  private failed(event: KwsPresenceEvent, error: unknown): void {
    this.logger.error(
      PRESENCE_LISTENER_FAILED(event.type, event.room),
      error instanceof Error ? error.stack : String(error),
    );
  }
}
