import type { IncomingMessage } from 'node:http';
import { KwsState, type Kws } from '../connection/kws.js';
import { OFFSET_PROTOCOL, RESUME_PROTOCOL } from '../transport/subprotocols.js';
import { KwsDisconnectError } from '../errors/kws-disconnect.error.js';
import type { KwsUpgradeInfo } from '../kws-module-options.interface.js';
import { CloseCode, LINK_LOST_REASON } from '../kws.constants.js';
import { SESSION_EXPIRED, SESSION_GAP, SESSION_OVERFLOW } from '../kws.messages.js';
import { endConnection } from '../server/connection.end.js';
import {
  DEFAULT_MAX_DISCONNECTION,
  DEFAULT_MAX_MESSAGES,
  type KwsRecoveryOptions,
} from './recovery-options.interface.js';
import type { KwsMovedSession, KwsRecoveryStore } from './recovery-store.interface.js';
import { KwsRecoverySession, type KwsSessionOwner } from './recovery.session.js';
import { restoreRequests } from './request.dedupe.js';
import { KwsSuspendedSessionsLimit } from './suspended-sessions.limit.js';
import { newSessionToken } from './session.token.js';

/** Query parameters of the resume handshake (docs/protocol.md), for clients that send them. */
const RESUME_PARAM = 'kws_resume';
const OFFSET_PARAM = 'kws_offset';

/** What a resume handshake presents: the token and the last offset its client received. */
export interface KwsResumeRequest {
  token: string;
  offset: string;
}

const NOTHING_RESUMED: KwsUpgradeInfo = Object.freeze({});

/** A resume the endpoint may go on with: the session (still suspended, or live) and the offset. */
export interface KwsResumable {
  kws: Kws;
  offset: string;
}

/** Reads the resume handshake of an upgrade request (subprotocols first, then the query). */
export function resumeRequestOf(request: IncomingMessage): KwsResumeRequest | undefined {
  const protocols = request.headers['sec-websocket-protocol'];
  if (protocols !== undefined && protocols.includes(RESUME_PROTOCOL)) {
    let token = '';
    let offset = '';
    for (const entry of protocols.split(',')) {
      const value = entry.trim();
      if (value.startsWith(RESUME_PROTOCOL)) token = value.slice(RESUME_PROTOCOL.length);
      else if (value.startsWith(OFFSET_PROTOCOL)) offset = value.slice(OFFSET_PROTOCOL.length);
    }
    return token ? { token, offset } : undefined;
  }
  const url = request.url ?? '';
  if (!url.includes(`${RESUME_PARAM}=`)) return undefined;
  const query = new URLSearchParams(url.slice(url.indexOf('?') + 1));
  const token = query.get(RESUME_PARAM);
  return token ? { token, offset: query.get(OFFSET_PARAM) ?? '' } : undefined;
}

/**
 * Connection-state recovery of one endpoint on one node: gives each connection a session and a
 * single-use token, suspends a connection that drops without a clean close, and hands a suspended
 * session to a resume handshake that presents its token in time. A resume is a connect: the
 * endpoint runs the same checks before anything is replayed. (Numbering the messages is the
 * endpoint's delivery's job: KwsKeptDelivery on one node, the log in cluster mode.)
 */
export class KwsSessionRecovery implements KwsSessionOwner {
  readonly maxDisconnection: number;
  readonly maxMessages: number;
  /** Token -> its session. A token is removed when used, replaced, or when its session ends. */
  private readonly sessions = new Map<string, Kws>();

  /** How many suspended sessions this node keeps, per client address and in all. */
  private readonly suspendedLimit: KwsSuspendedSessionsLimit;

  /** Cluster mode: sessions and messages also live in Redis (see KwsRecoveryStore). */
  store: KwsRecoveryStore | undefined;

  constructor(options: KwsRecoveryOptions) {
    this.maxDisconnection = options.maxDisconnection ?? DEFAULT_MAX_DISCONNECTION;
    this.maxMessages = options.maxMessages ?? DEFAULT_MAX_MESSAGES;
    this.suspendedLimit = new KwsSuspendedSessionsLimit(
      options.maxSuspendedPerAddress,
      options.maxSuspended,
    );
  }

  /** A new connection: a fresh session. Its token is sent once `connect` accepts it. */
  open(kws: Kws): void {
    kws.session = new KwsRecoverySession(this);
    // Read while the socket is there: a dropped session is counted under its client's address.
    void kws.ip;
  }

  /**
   * The connection was accepted (by `connect`, or by a resume's checks): the `session` packet
   * (with a new single-use token), then what was kept for it after `offset`, in order. False
   * when that cannot be done exactly (the session then ends).
   */
  accepted(kws: Kws, offset: string, recovered: boolean): boolean {
    const session = kws.session!;
    const pending = session.kept.after(offset);
    if (!pending) {
      this.end(kws, new KwsDisconnectError(CloseCode.Abnormal, '', SESSION_GAP, 'overflow'));
      return false;
    }
    this.suspendedLimit.release(session);
    session.restore();
    this.announce(kws, recovered);
    const held = session.takeHeld();
    if (recovered) {
      // The replay (what was kept after the client's offset, with what came meanwhile), then
      // the unnumbered frames sent while the resume's checks ran.
      for (const message of pending) kws.context.writer.write(kws, message);
      for (const message of held) {
        if (message.offset === undefined) kws.context.writer.write(kws, message);
      }
    } else {
      // A fresh connection: what its `connect` listeners sent, in order.
      for (const message of held) kws.context.writer.write(kws, message);
    }
    return true;
  }

  /**
   * A connection ended. True when it became a suspended session instead: it dropped without a
   * clean close (1006: network loss, heartbeat timeout) after `connect` accepted it.
   */
  suspend(kws: Kws, code: number, error: KwsDisconnectError | null): boolean {
    const session = kws.session;
    if (!session) return false;
    // The client found the link dead (its liveness timeout) and said so, if the frame got
    // through at all: a network loss too, not a goodbye.
    const linkLost = code === CloseCode.LinkLost && error?.reason === LINK_LOST_REASON;
    if (code !== CloseCode.Abnormal && !linkLost) return false;
    if (!linkLost && error && error.kind !== 'network' && error.kind !== 'timeout') return false;
    // Past the bounds (a client connecting and dropping in a loop) it ends at once instead.
    if (this.suspendedLimit.admit(session, kws.ip) !== undefined) return false;
    if (!kws.suspend()) {
      this.suspendedLimit.release(session);
      return false;
    }
    session.suspend(error);
    clearTimeout(session.timer);
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
   * The session a resume handshake names, taken: its token is spent. Undefined for a token that
   * is unknown, used or expired (a fresh session follows). In cluster mode the session may come
   * from another node (one Redis round trip). A session that cannot be restored exactly ends here.
   */
  take({
    token,
    offset,
  }: KwsResumeRequest): KwsResumable | Promise<KwsMovedSession | 'in-use' | undefined> | undefined {
    const kws = this.sessions.get(token);
    if (!kws || !kws.session) {
      // Cluster mode: the session may live on another node, or have outlived a dead one.
      return this.store ? this.store.take(token, offset).catch(() => undefined) : undefined;
    }
    this.sessions.delete(token);
    if (!kws.session.kept.after(offset)) {
      this.end(kws, new KwsDisconnectError(CloseCode.Abnormal, '', SESSION_GAP, 'overflow'));
      return undefined;
    }
    return { kws, offset };
  }

  /** A taken session was not resumed (its owner is alive): its token is valid again. */
  untake(kws: Kws): void {
    const session = kws.session;
    if (session?.token && kws.state !== KwsState.Ended) this.sessions.set(session.token, kws);
  }

  /** What `allowUpgrade` is told of a request: the uuid of the session its token names. */
  describe(request: IncomingMessage): KwsUpgradeInfo | Promise<KwsUpgradeInfo> {
    const resume = resumeRequestOf(request);
    if (!resume) return NOTHING_RESUMED;
    const local = this.sessions.get(resume.token)?.uuid;
    if (local !== undefined || !this.store) return { resume: { uuid: local } };
    return this.store.uuidOf(resume.token).then((uuid) => ({ resume: { uuid } }));
  }

  /**
   * Starts a session moved from another node on this node's new connection (already in the pool,
   * with its uuid, attributes and rooms, opening): the replay is kept, then live traffic, until
   * the resume's checks accept it (`accepted` writes them) or refuse it.
   */
  adopt(kws: Kws, moved: KwsMovedSession): void {
    kws.session = new KwsRecoverySession(this);
    for (const message of moved.replay) kws.session.kept.push(message);
    restoreRequests(kws, moved.requests ?? []);
    moved.adopted(kws);
  }

  /** Another node took this session (its client resumed there): it leaves here without a trace. */
  moved(kws: Kws): void {
    const session = kws.session;
    if (!session) return;
    this.forget(kws);
    kws.session = undefined;
    kws.markEnded();
    kws.context.pool.delete(kws, true);
    if (kws.conn.readyState === 1) kws.conn.terminate();
  }

  /**
   * Shutdown handover (cluster mode): the session is saved suspended in the shared store, so
   * another node may take it as soon as its client resumes there, and it leaves this node without
   * ending (no `disconnect`, its snapshot and token stay). Resolves once the store has it; false
   * when it cannot be handed over (no store, no session, or the store is away).
   */
  async handOver(kws: Kws): Promise<boolean> {
    const session = kws.session;
    if (!this.store || !session?.token) return false;
    if (kws.state !== KwsState.Suspended) {
      if (!kws.suspend()) return false;
      session.suspend(null);
    }
    clearTimeout(session.timer);
    try {
      await this.store.suspended(kws);
    } catch {
      return false;
    }
    if (this.sessions.get(session.token) === kws) this.sessions.delete(session.token);
    kws.markEnded();
    kws.context.pool.delete(kws, true);
    return true;
  }

  /** The session's attributes or rooms changed (cluster mode keeps a snapshot). */
  touched(kws: Kws): void {
    if (this.store && kws.session && kws.state !== KwsState.Suspended) this.store.saved(kws);
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
    this.suspendedLimit.release(session);
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
