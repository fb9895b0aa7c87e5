import { Logger } from '@nestjs/common';
import type { WebSocket } from 'ws';
import { Kws, KwsState } from '../connection/kws.js';
import type { KwsContext } from '../connection/kws.context.js';
import type { KwsRequest } from '../connection/request.data.js';
import { newUuid } from '../connection/uuid.js';
import { KwsDisconnectError } from '../errors/kws-disconnect.error.js';
import { isExpectedRejection, toAckError } from '../events/ack-error.mapper.js';
import { isPromiseLike, type KwsDispatchOutcome } from '../events/event.dispatcher.js';
import type { KwsAttributes } from '../kws-module-options.interface.js';
import { CloseCode, CONNECT_GUARDS, KwsEvent, RESUME_LIVENESS_PROBE } from '../kws.constants.js';
import {
  CONNECT_FAILED,
  CONNECT_TIMED_OUT,
  CONNECT_TIMEOUT_REASON,
  INTERNAL_ERROR_REASON,
  RESUME_REFUSED,
  RESUME_TIMED_OUT,
  SESSION_IN_USE,
} from '../kws.messages.js';
import type { KwsMovedSession } from '../recovery/recovery-store.interface.js';
import type { KwsResumable } from '../recovery/session.recovery.js';
import { endConnection } from './connection.end.js';

/** How a `connect` (or a resume's checks) ended: accepted, refused with a close, or timed out. */
type Decision = { accepted: true } | { accepted: false; code: number; reason: string };

const ACCEPTED: Decision = { accepted: true };
/** `ws`'s readyState once its 'close' was emitted. */
const CLOSED = 3;
const TIMED_OUT = Symbol('timed out');

/**
 * Decides whether a socket the upgrade gate let through becomes a connection: a fresh one runs
 * `connect` (guards, then listeners); a resume runs the `connect` guards again and the `resume`
 * listeners before anything is replayed. Frames wait (the socket is paused) until the decision;
 * a refusal, a throw or `connectTimeout` closes the socket and nothing it sent runs.
 */
export class KwsAdmission {
  private readonly logger = new Logger('KwsModule');

  constructor(
    private readonly context: KwsContext,
    private readonly connectTimeout: number,
    /** Binds a socket to its connection (the endpoint's routes). */
    private readonly bind: (socket: WebSocket, kws: Kws) => void,
    /** Whether the broker's register does nothing (the in-process broker). */
    private readonly localRegister: boolean,
  ) {}

  /** A fresh connection: `connect` listeners decide before the first frame is read. */
  open(socket: WebSocket, upgrade: KwsRequest, attributes: KwsAttributes | undefined): void {
    const { pool, recovery, stats, broker } = this.context;
    const kws = new Kws(socket, upgrade, this.context, newUuid(), attributes);
    pool.add(kws);
    recovery?.open(kws);
    stats?.accepted();
    this.context.tracer?.opening(kws, false);
    this.bind(socket, kws);
    if (this.localRegister) {
      // Nothing to register: `connect` runs now, and when its listeners are all synchronous no
      // frame can have been read yet (`ws` reads the socket from the next tick on): no pause.
      const outcome = this.connect(kws);
      if (!isPromiseLike(outcome)) this.decided(kws, this.judge(kws, outcome), '');
      else this.await(kws, socket, outcome, '');
      return;
    }
    this.await(
      kws,
      socket,
      broker
        .register(kws.uuid)
        .catch((error: unknown) => this.logger.warn(String(error)))
        .then(() => (kws.state === KwsState.Opening ? this.connect(kws) : undefined)),
      '',
    );
  }

  /**
   * A resume of a session of this node. A session whose socket still answers a ping keeps it:
   * the token alone does not take a live session. Otherwise it goes on over the new socket once
   * the checks pass.
   */
  resume(
    socket: WebSocket,
    upgrade: KwsRequest,
    attributes: KwsAttributes | undefined,
    { kws, offset }: KwsResumable,
  ): void {
    const recovery = this.context.recovery!;
    if (kws.state === KwsState.Suspended) {
      this.reattach(socket, upgrade, attributes, kws, offset);
      return;
    }
    socket.pause();
    void this.answersPing(kws).then((alive) => {
      if (kws.state === KwsState.Ended) {
        // The session ended meanwhile: the token names nothing any more.
        if (socket.readyState === socket.OPEN) this.open(socket, upgrade, attributes);
        socket.resume();
        return;
      }
      if (alive || socket.readyState !== socket.OPEN) {
        recovery.untake(kws);
        if (alive) socket.close(CloseCode.PolicyViolation, SESSION_IN_USE);
        socket.resume();
        return;
      }
      // The owner's socket is dead though not noticed yet: suspended, then resumed here.
      const previous = kws.conn;
      if (recovery.suspend(kws, CloseCode.Abnormal, null)) {
        previous.terminate();
        this.reattach(socket, upgrade, attributes, kws, offset);
      } else {
        recovery.untake(kws);
        socket.close(CloseCode.PolicyViolation, SESSION_IN_USE);
      }
      socket.resume();
    });
  }

  /** A session moved from another node goes on here, once the checks pass. */
  adopt(
    socket: WebSocket,
    upgrade: KwsRequest,
    attributes: KwsAttributes | undefined,
    moved: KwsMovedSession,
  ): void {
    const { pool, broker, recovery } = this.context;
    const kws = new Kws(socket, upgrade, this.context, moved.uuid, moved.attributes);
    try {
      pool.add(kws);
    } catch {
      moved.abandoned();
      this.open(socket, upgrade, attributes);
      return;
    }
    // It was accepted on its first node: a refusal here ends it with a `disconnect`.
    kws.movedHere();
    this.bind(socket, kws);
    void broker.register(kws.uuid).catch((error: unknown) => this.logger.warn(String(error)));
    try {
      kws.join(...moved.rooms);
    } catch (error) {
      // Its first node allowed more rooms (maxRoomsPerConnection) than this one: it keeps none
      // past the bound rather than failing the resume.
      this.logger.warn(String(error));
    }
    recovery!.adopt(kws, moved);
    this.check(kws, socket, attributes, '');
  }

  private reattach(
    socket: WebSocket,
    upgrade: KwsRequest,
    attributes: KwsAttributes | undefined,
    kws: Kws,
    offset: string,
  ): void {
    kws.reattach(socket, upgrade);
    this.bind(socket, kws);
    this.check(kws, socket, attributes, offset);
  }

  /** A resume's checks: the `connect` guards, then the `resume` listeners (given the new attributes). */
  private check(
    kws: Kws,
    socket: WebSocket,
    attributes: KwsAttributes | undefined,
    offset: string,
  ): void {
    const { dispatcher } = this.context;
    this.context.tracer?.opening(kws, true);
    // Held while opening: what channels send now follows the session packet and the replay.
    this.context.channels?.resuming(kws);
    const fresh = attributes ?? {};
    const guards = dispatcher.run(kws, CONNECT_GUARDS, undefined, false);
    const listeners = (outcome: KwsDispatchOutcome): ReturnType<typeof dispatcher.run> =>
      outcome.error !== undefined ? outcome : dispatcher.run(kws, KwsEvent.Resume, fresh, false);
    const outcome = isPromiseLike(guards) ? guards.then(listeners) : listeners(guards);
    if (attributes) {
      // Applied once accepted: a `resume` listener compares them with the session's own.
      const apply = (): void => {
        for (const key of Object.keys(attributes)) kws.setAttribute(key, attributes[key]);
      };
      this.await(kws, socket, outcome, offset, apply);
    } else {
      this.await(kws, socket, outcome, offset);
    }
  }

  /** Pauses the socket until the decision, bounded by `connectTimeout` (fail closed). */
  private await(
    kws: Kws,
    socket: WebSocket,
    outcome: KwsDispatchOutcome | PromiseLike<KwsDispatchOutcome | undefined>,
    offset: string,
    beforeAccept?: () => void,
  ): void {
    if (!isPromiseLike(outcome)) {
      this.decided(kws, this.judge(kws, outcome), offset, beforeAccept);
      return;
    }
    socket.pause();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<typeof TIMED_OUT>((resolve) => {
      timer = setTimeout(resolve, this.connectTimeout, TIMED_OUT);
    });
    void Promise.race([outcome, timedOut]).then(
      (settled) => {
        clearTimeout(timer);
        if (settled === TIMED_OUT) {
          if (kws.state === KwsState.Opening) {
            this.logger.warn(
              kws.hasConnected
                ? RESUME_TIMED_OUT(kws.uuid, this.connectTimeout)
                : CONNECT_TIMED_OUT(kws.uuid, this.connectTimeout),
            );
          }
          this.decided(kws, timeout(), offset);
        } else if (settled) {
          this.decided(kws, this.judge(kws, settled), offset, beforeAccept);
        } else {
          this.decided(kws, timeout(), offset);
        }
        // Read on either way: a refused socket must still read its peer's close frame.
        socket.resume();
      },
      () => socket.resume(),
    );
  }

  /** A Nest exception (a guard's refusal...) refuses with 1008 and its message; any throw with 1011. */
  private judge(kws: Kws, outcome: KwsDispatchOutcome): Decision {
    if (outcome.error === undefined) return ACCEPTED;
    if (isExpectedRejection(outcome.error)) {
      return {
        accepted: false,
        code: CloseCode.PolicyViolation,
        reason: toAckError(outcome.error).message,
      };
    }
    // The dispatcher logged the listener's failure; this says what it did to the connection.
    if (!kws.hasConnected) this.logger.warn(CONNECT_FAILED(kws.uuid));
    return { accepted: false, code: CloseCode.InternalError, reason: INTERNAL_ERROR_REASON };
  }

  private decided(kws: Kws, decision: Decision, offset: string, beforeAccept?: () => void): void {
    this.context.tracer?.decided(kws, decision.accepted ? 0 : decision.code);
    // Refused by `close()` in a listener, cut, shut down, or (a resume) dropped again meanwhile.
    if (kws.state !== KwsState.Opening) return;
    // The client left while `connect` ran (its close was held for this decision): a `connect`
    // that completed still gets its `disconnect`, a refused one none.
    const left = kws.conn.readyState === CLOSED;
    const resumed = kws.hasConnected;
    if (!decision.accepted) {
      kws.refuse(decision.code, decision.reason);
      if (resumed) {
        // A refused resume ends the session: neither it nor what was kept for it is handed over.
        const why = RESUME_REFUSED(decision.reason);
        void endConnection(
          kws,
          new KwsDisconnectError(decision.code, decision.reason, why, 'refused'),
        );
      } else if (left) {
        void endConnection(kws, null);
      }
      return;
    }
    beforeAccept?.();
    kws.accept();
    if (left) {
      void endConnection(kws, kws.endError ?? null);
      return;
    }
    const recovery = this.context.recovery;
    if (recovery && kws.session) recovery.accepted(kws, offset, resumed);
  }

  /** `connect`'s listeners; with tracing on, inside the connection's connect span. */
  private connect(kws: Kws): ReturnType<KwsContext['dispatcher']['run']> {
    const { dispatcher, tracer } = this.context;
    if (tracer === undefined) return dispatcher.run(kws, KwsEvent.Connect, undefined, false);
    return tracer.inConnect(kws, () => dispatcher.run(kws, KwsEvent.Connect, undefined, false));
  }

  /** Whether the session's current socket answers a ping within RESUME_LIVENESS_PROBE. */
  private answersPing(kws: Kws): Promise<boolean> {
    if (kws.conn.readyState !== kws.conn.OPEN) return Promise.resolve(false);
    return new Promise((resolve) => {
      // Any frame from the socket clears pingSentAt (the routes do): that is an answer.
      kws.pingSentAt ||= Date.now();
      try {
        kws.conn.ping(kws.session?.pingPayload());
      } catch {
        resolve(false);
        return;
      }
      const timer = setTimeout(() => resolve(kws.pingSentAt === 0), RESUME_LIVENESS_PROBE);
      timer.unref();
    });
  }
}

function timeout(): Decision {
  return { accepted: false, code: CloseCode.TryAgainLater, reason: CONNECT_TIMEOUT_REASON };
}
