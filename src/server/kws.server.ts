import { Inject, Injectable } from '@nestjs/common';
import type { Kws, KwsData } from '../connection/kws.js';
import { KwsOutbound, toBuffer } from '../connection/outbound.message.js';
import type { KwsBroker } from '../broker/kws-broker.interface.js';
import type { KwsListener } from '../events/kws-event-payload.interface.js';
import { CloseCode, DEFAULT_CLOSE_REASON, KwsMessageType } from '../kws.constants.js';
import { KWS_BROKER } from '../kws.module-definition.js';
import { KwsListenerRegistry } from '../events/listener.registry.js';
import { KwsConnectionPool } from './connection.pool.js';

/** Options of `KwsServer.broadcast`. */
export interface KwsBroadcastOptions {
  /** A uuid that must not receive the message (usually the sender's). */
  except?: string;
  /** Only the members of this room (see `Kws.join`). */
  room?: string;
  /** Frame type; by default text for strings and binary for bytes. */
  type?: KwsMessageType;
}

/**
 * The server side of every connection, injectable anywhere (controllers, services, gateways).
 * Cross-connection calls go through the broker, so they reach every node in cluster mode.
 */
@Injectable()
export class KwsServer {
  constructor(
    @Inject(KWS_BROKER) private readonly broker: KwsBroker,
    private readonly pool: KwsConnectionPool,
    private readonly registry: KwsListenerRegistry,
  ) {}

  /** Sends to one connection; rejects with `KwsInvalidConnectionError` for an unknown or dead uuid. */
  emitTo(uuid: string, data: KwsData, type?: KwsMessageType): Promise<void> {
    return this.broker.emitTo(uuid, outbound(data, type));
  }

  /** Sends to each uuid (the frame is built once); resolves with the uuids that failed. */
  emitToList(uuids: readonly string[], data: KwsData, type?: KwsMessageType): Promise<string[]> {
    return this.broker.emitToList(uuids, outbound(data, type));
  }

  /** Sends to every connection once; resolves with the local uuids that could not be written to. */
  broadcast(data: KwsData, options: KwsBroadcastOptions = {}): Promise<string[]> {
    return this.broker.broadcast(outbound(data, options.type), options.except, options.room);
  }

  /** Runs the listeners of `event` once for every connection. */
  fire(event: string, data?: KwsData): Promise<void> {
    return this.broker.fire(event, data === undefined ? Buffer.alloc(0) : toBuffer(data));
  }

  /** A connection of this node by uuid. */
  get(uuid: string): Kws | undefined {
    return this.pool.get(uuid);
  }

  /** The connections of this node. */
  connections(): IterableIterator<Kws> {
    return this.pool.values();
  }

  /** Live connections everywhere the broker sees (every node in cluster mode). */
  count(): Promise<number> {
    return this.broker.count();
  }

  /** Live connections on this node. */
  get localCount(): number {
    return this.pool.size;
  }

  /** Closes one connection as `kws.close()` would; rejects with `KwsInvalidConnectionError`. */
  close(
    uuid: string,
    code: number = CloseCode.Normal,
    reason = DEFAULT_CLOSE_REASON,
  ): Promise<void> {
    return this.broker.close(uuid, code, reason);
  }

  /** Closes every connection. */
  closeAll(code: number = CloseCode.Normal, reason = DEFAULT_CLOSE_REASON): Promise<void> {
    return this.broker.closeAll(code, reason);
  }

  /** Adds a listener at runtime; returns a function that removes it. */
  on(event: string, listener: KwsListener): () => void {
    this.registry.add(event, listener);
    return () => this.registry.remove(event, listener);
  }

  /** Removes a listener, or every listener of `event`. */
  off(event: string, listener?: KwsListener): void {
    this.registry.remove(event, listener);
  }
}

function outbound(data: KwsData, type: KwsMessageType | undefined): KwsOutbound {
  return KwsOutbound.from(data, type === undefined ? undefined : type === KwsMessageType.Binary);
}
