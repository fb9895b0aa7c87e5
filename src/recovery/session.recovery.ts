import { randomBytes } from 'node:crypto';
import type { WebSocket } from 'ws';
import type { Kws } from '../connection/kws.js';
import type { KwsOutbound } from '../connection/outbound.message.js';
import type { KwsRequest } from '../connection/request.data.js';
import { KwsDisconnectError } from '../errors/kws-disconnect.error.js';
import type { KwsAttributes } from '../kws-module-options.interface.js';
import { CloseCode } from '../kws.constants.js';
import { SESSION_EXPIRED, SESSION_GAP, SESSION_OVERFLOW } from '../kws.messages.js';
import { endConnection } from '../server/connection.end.js';
import {
  DEFAULT_MAX_DISCONNECTION,
  DEFAULT_MAX_MESSAGES,
  type KwsRecoveryOptions,
} from './recovery-options.interface.js';
import type { KwsMovedSession, KwsRecoveryStore } from './recovery-store.interface.js';
import { KwsRecoverySession, type KwsSessionOwner } from './recovery.session.js';
import { newSessionToken } from './session.token.js';

/** Query parameters of the resume handshake (PROTOCOL.md). */
const RESUME_PARAM = 'kws_resume';
const OFFSET_PARAM = 'kws_offset';

/** A resume the endpoint may complete: the session and what its client missed. */
export interface KwsResumable {
  kws: Kws;
  replay: KwsOutbound[];
}

/**
 * Connection-state recovery of one endpoint on one node: numbers recoverable packets, gives each
 * connection a session and a single-use token, suspends a connection that drops without a clean
 * close, and restores it when its client presents the token in time.
 */
export class KwsSessionRecovery implements KwsSessionOwner {
  readonly maxDisconnection: number;
  readonly maxMessages: number;
  /** Token -> its session. A token is removed when used, replaced, or when its session ends. */
  private readonly sessions = new Map<string, Kws>();
  /** Offsets are unique per process (and unguessable across restarts), ordered within it. */
  private readonly offsetPrefix = `${randomBytes(4).toString('base64url')}.`;
  private sequence = 0;

  /** Cluster mode: sessions and messages also live in Redis (see KwsRecoveryStore). */
  store: KwsRecoveryStore | undefined;

  constructor(options: KwsRecoveryOptions) {
    this.maxDisconnection = options.maxDisconnection ?? DEFAULT_MAX_DISCONNECTION;
    this.maxMessages = options.maxMessages ?? DEFAULT_MAX_MESSAGES;
  }

  /** The offset of a new recoverable message; '' in cluster mode, where the log assigns it. */
  nextOffset(): string {
    if (this.store) return '';
    return this.offsetPrefix + (++this.sequence).toString(36);
  }

  /** A new connection: a fresh session, announced by its first packet. */
  open(kws: Kws): void {
    kws.session = new KwsRecoverySession(this);
    this.announce(kws, false);
  }

  /**
   * A connection ended. True when it became a suspended session instead: it dropped without a
   * clean close (1006: network loss, heartbeat timeout) and the server did not end it on purpose.
   */
  suspend(kws: Kws, code: number, error: KwsDisconnectError | null): boolean {
    const session = kws.session;
    if (!session || session.suspended || kws.closedByServer || code !== CloseCode.Abnormal) {
      return false;
    }
    if (error && error.kind !== 'network' && error.kind !== 'timeout') return false;
    session.suspend(error);
    kws.suspendRequests();
    this.store?.suspended(kws);
    const expired = new KwsDisconnectError(
      code,
      '',
      SESSION_EXPIRED(this.maxDisconnection),
      'expired',
      { cause: error ?? undefined },
    );
    session.timer = setTimeout(() => this.end(kws, expired), this.maxDisconnection);
    session.timer.unref();
    return true;
  }

  /**
   * The session a resume handshake names (upgrade URL with `kws_resume`), taken: its token is
   * spent. Undefined for a plain connection and for a token that is unknown, used or expired (a
   * fresh session follows). A session that cannot be restored exactly ends here.
   */
  take(url: string): KwsResumable | Promise<KwsMovedSession | undefined> | undefined {
    if (!url.includes(`${RESUME_PARAM}=`)) return undefined;
    const query = new URLSearchParams(url.slice(url.indexOf('?') + 1));
    const token = query.get(RESUME_PARAM);
    const offset = query.get(OFFSET_PARAM) ?? '';
    const kws = token ? this.sessions.get(token) : undefined;
    if (!kws || !kws.session) {
      // Cluster mode: the session may live on another node, or have outlived a dead one.
      return token && this.store
        ? this.store.take(token, offset).catch(() => undefined)
        : undefined;
    }
    this.sessions.delete(token!);
    const replay = kws.session.kept.after(offset);
    if (!replay) {
      this.end(kws, new KwsDisconnectError(CloseCode.Abnormal, '', SESSION_GAP, 'overflow'));
      return undefined;
    }
    return { kws, replay };
  }

  /**
   * Puts a taken session on its new socket: the `session` packet (recovered), then what the client
   * missed, in order, before anything else. A connection the server still thought alive (the drop
   * not noticed yet) is taken over: its old socket is cut without a `disconnect`.
   */
  restore(
    { kws, replay }: KwsResumable,
    socket: WebSocket,
    upgrade: KwsRequest,
    attributes: KwsAttributes | undefined,
  ): void {
    const session = kws.session!;
    const previous = kws.conn;
    const wasLive = !session.suspended;
    session.restore();
    kws.reattach(socket, upgrade);
    if (wasLive) previous.terminate();
    if (attributes) {
      for (const key of Object.keys(attributes)) kws.setAttribute(key, attributes[key]);
    }
    this.announce(kws, true);
    for (const message of replay) kws.context.writer.write(kws, message);
  }

  /**
   * Starts a session moved from another node on this node's new connection (already in the pool,
   * with its uuid, attributes and rooms): `session` packet, then the replay, then live traffic.
   */
  adopt(kws: Kws, moved: KwsMovedSession): void {
    kws.session = new KwsRecoverySession(this);
    this.announce(kws, true);
    for (const message of moved.replay) kws.context.writer.write(kws, message);
    for (const message of moved.replay) kws.session.kept.push(message);
    moved.adopted(kws);
  }

  /** Another node took this session (its client resumed there): it leaves here without a trace. */
  moved(kws: Kws): void {
    const session = kws.session;
    if (!session) return;
    this.forget(kws);
    kws.session = undefined;
    kws.closedByServer = true;
    kws.markEnded();
    kws.context.pool.delete(kws);
    if (kws.conn.readyState === 1) kws.conn.terminate();
  }

  /** The session's attributes or rooms changed (cluster mode keeps a snapshot). */
  touched(kws: Kws): void {
    if (this.store && kws.session && !kws.session.suspended) this.store.saved(kws);
  }

  /** A suspended session got more messages than `maxMessages`: it ends (after the current send). */
  overflow(kws: Kws): void {
    const session = kws.session!;
    this.sessions.delete(session.token);
    const error = new KwsDisconnectError(
      CloseCode.Abnormal,
      '',
      SESSION_OVERFLOW(this.maxMessages),
      'overflow',
      { cause: session.dropError ?? undefined },
    );
    // Not in the middle of a broadcast's loop over the pool.
    process.nextTick(() => this.end(kws, error));
  }

  /** Ends a session for good (expired, overflow, or closed by the server while suspended). */
  end(kws: Kws, error: KwsDisconnectError | null): void {
    void endConnection(kws, error);
  }

  /** The session ended: its token is void. */
  forget(kws: Kws): void {
    const session = kws.session;
    if (!session) return;
    clearTimeout(session.timer);
    if (this.sessions.get(session.token) === kws) this.sessions.delete(session.token);
    this.store?.ended(kws);
  }

  /** A new single-use token, sent as the first packet of the connection. */
  private announce(kws: Kws, recovered: boolean): void {
    const session = kws.session!;
    const previous = session.token;
    if (previous) this.sessions.delete(previous);
    session.token = newSessionToken();
    this.sessions.set(session.token, kws);
    this.store?.saved(kws, previous || undefined);
    kws.sendPacket({ session: { token: session.token, recovered, uuid: kws.uuid } });
  }
}
