import { KwsState, type Kws } from '../connection/kws.js';
import type { KwsOutbound } from '../connection/outbound.message.js';
import type { KwsDisconnectError } from '../errors/kws-disconnect.error.js';
import { KeptMessages } from './kept.messages.js';

/** What ends a suspended session from inside a send: the recovery of the endpoint. */
export interface KwsSessionOwner {
  readonly maxMessages: number;
  overflow(kws: Kws): void;
}

/**
 * The recovery state of one connection (recovery on): its resume token, the messages its client
 * may not have received. Whether it is suspended is the connection's state (`kws.state`).
 */
export class KwsRecoverySession {
  token = '';
  readonly kept = new KeptMessages();
  /**
   * What was sent while `connect` (or a resume's checks) decided, in order, numbered or not: it
   * follows the `session` packet once accepted, which stays the first packet of a connection.
   */
  held: KwsOutbound[] | undefined;
  /** Why the connection dropped (the `cause` of the `disconnect` if it is never resumed). */
  dropError: KwsDisconnectError | null = null;
  timer: NodeJS.Timeout | undefined;
  /** Messages kept since the drop; over `maxMessages` the session ends. */
  private missed = 0;
  /**
   * Cluster mode, a session moved here: the log entries up to this offset were replayed, so the
   * same entries read live from the log are skipped.
   */
  skipUpTo: string | undefined;

  constructor(private readonly owner: KwsSessionOwner) {}

  /**
   * Keeps a numbered message and writes it when connected. True when the session has it: once
   * kept, a message the socket could not take (it is dying) is replayed on a resume. While
   * suspended, and while `connect` or a resume's checks decide (opening), it is kept only: the
   * `session` packet and the replay go out first, once the connection is accepted.
   */
  send(kws: Kws, message: KwsOutbound, fanOut: boolean): boolean {
    if (this.skipUpTo !== undefined) {
      if (compareLogIds(message.offset!, this.skipUpTo) <= 0) return true;
      this.skipUpTo = undefined;
    }
    const max = this.owner.maxMessages;
    const state = kws.state;
    if (state === KwsState.Opening) (this.held ??= []).push(message);
    if (state === KwsState.Suspended || state === KwsState.Opening) {
      if (this.missed >= max) {
        if (this.missed++ === max) this.owner.overflow(kws);
        return false;
      }
      this.missed++;
      this.kept.push(message);
      return true;
    }
    this.kept.push(message);
    this.kept.trimToSize(max);
    return kws.context.writer.write(kws, message, fanOut) || state !== KwsState.Closing;
  }

  /** A message without an offset sent while opening: written once accepted, after the session. */
  hold(message: KwsOutbound): boolean {
    (this.held ??= []).push(message);
    return true;
  }

  /** Takes what was held while opening. */
  takeHeld(): KwsOutbound[] {
    const held = this.held ?? [];
    this.held = undefined;
    return held;
  }

  /** The connection dropped: keep everything from now on, until a resume or the end. */
  suspend(error: KwsDisconnectError | null): void {
    this.dropError = error;
    this.missed = 0;
  }

  /** Accepted on a new socket: what was kept meanwhile is written from now on. */
  restore(): void {
    clearTimeout(this.timer);
    this.dropError = null;
    this.missed = 0;
  }

  /** Payload of the next ping: where the kept messages stand, so its pong confirms them. */
  pingPayload(): string {
    return String(this.kept.mark());
  }

  /** A pong echoing a ping payload: the client has read everything sent before that ping. */
  confirm(pong: Buffer): void {
    const mark = Number(pong.toString());
    if (Number.isSafeInteger(mark)) this.kept.trimTo(Math.min(mark, this.kept.mark()));
  }
}

/** Orders two Redis stream ids ("<ms>-<seq>"). */
export function compareLogIds(a: string, b: string): number {
  const [am, as] = a.split('-').map(Number);
  const [bm, bs] = b.split('-').map(Number);
  return am === bm ? as - bs : am - bm;
}
