import type { Kws } from '../connection/kws.js';
import { KwsProtocolError } from '../errors/kws-protocol.error.js';
import {
  HEARTBEAT_EVENT,
  KwsEvent,
  MAX_EVENT_NAME_LENGTH,
  RESERVED_EVENTS,
} from '../kws.constants.js';
import { IN_FLIGHT_ACK, MALFORMED_PACKET } from '../kws.messages.js';
import { ackTimed } from '../metrics/stats.hooks.js';
import { runOnce } from '../recovery/request.dedupe.js';
import { ackBodyOf, NOT_FOUND } from './ack.body.js';
import type { KwsDispatchOutcome, KwsEventDispatcher } from './event.dispatcher.js';
import { isPromiseLike } from './event.dispatcher.js';
import {
  isAckPacket,
  isEventPacket,
  type KwsEventPacket,
  type KwsPacket,
  type KwsParser,
} from './kws-packet.interface.js';

const MAX_ID = 2 ** 31 - 1;
const TOO_MANY_IN_FLIGHT = { message: IN_FLIGHT_ACK, status: 429 } as const;

/**
 * With a parser: turns each incoming data frame into a named event (and its acknowledgement),
 * an acknowledgement of a server request, or, for anything that is not a packet, a raw `message`.
 */
export class KwsPacketRouter {
  constructor(
    private readonly parser: KwsParser,
    private readonly dispatcher: KwsEventDispatcher,
  ) {}

  receive(kws: Kws, data: Buffer, isBinary: boolean): void {
    let packet: KwsPacket | undefined;
    try {
      packet = this.parser.decode(data, isBinary);
    } catch (error) {
      this.reject(
        kws,
        data,
        `the parser threw (${error instanceof Error ? error.message : String(error)})`,
      );
      return;
    }
    if (packet === undefined) {
      this.dispatcher.receiveMessage(kws, data, isBinary);
    } else if (typeof packet !== 'object' || packet === null) {
      // A codec of the app's may decode hostile bytes to null or a number (MessagePack's nil).
      this.reject(kws, data, 'a packet must be an object');
    } else if (isEventPacket(packet)) {
      // A channel's packet never reaches connection-level listeners (docs/channels.md).
      if (packet.channel !== undefined) this.onChannelPacket(kws, packet, data);
      else this.onEvent(kws, packet.event, packet.data, packet.id, data, packet.rid, packet.trace);
    } else if (isAckPacket(packet)) {
      if (!Number.isInteger(packet.ack)) this.reject(kws, data, '"ack" must be an integer');
      else kws.settleRequest(packet); // an answer to a request that timed out is dropped
    } else {
      this.reject(kws, data, '"event" must be a string');
    }
  }

  private onEvent(
    kws: Kws,
    event: string,
    data: unknown,
    id: unknown,
    raw: Buffer,
    rid?: unknown,
    trace?: unknown,
  ): void {
    if (
      id !== undefined &&
      !(Number.isInteger(id) && (id as number) > 0 && (id as number) <= MAX_ID)
    ) {
      this.reject(kws, raw, '"id" must be an integer from 1 to 2^31-1');
      return;
    }
    // Bounded as `id`: a rid travels in snapshots (request.outcomes.ts) as a safe integer.
    if (
      rid !== undefined &&
      (id === undefined ||
        !(Number.isInteger(rid) && (rid as number) > 0 && (rid as number) <= MAX_ID))
    ) {
      this.reject(kws, raw, '"rid" must be an integer from 1 to 2^31-1, on a packet with an "id"');
      return;
    }
    const ackId = id as number | undefined;
    if (event.length === 0 || event.length > MAX_EVENT_NAME_LENGTH) {
      this.reject(kws, raw, `an event name has 1 to ${MAX_EVENT_NAME_LENGTH} characters`);
      if (ackId !== undefined)
        kws.sendPacket({ ack: ackId, error: { message: 'Bad event name', status: 400 } });
      return;
    }
    // The client's liveness probe: answered at once, no listener runs (docs/protocol.md).
    if (event === HEARTBEAT_EVENT) return void (ackId && kws.sendPacket({ ack: ackId }));
    if (RESERVED_EVENTS.has(event)) {
      if (ackId !== undefined) kws.sendPacket({ ack: ackId, error: NOT_FOUND });
      return;
    }
    if (!this.admitted(kws, raw, ackId)) return;
    const inFlight = this.dispatcher.inFlight;
    // A retried request (same `rid`) gets the first run's outcome: its listener runs once. While
    // tracing is on a span wraps the listeners. Closures only then: the plain path allocates none.
    const tracer = kws.context.tracer;
    // Ack latency (Prometheus, the inspector): from here to the outcome, recorded in the reaction
    // that answers, so timing adds no promise of its own.
    const timers = ackId === undefined ? undefined : kws.context.stats?.timers;
    const started = timers === undefined ? 0 : performance.now();
    const outcome =
      rid === undefined && tracer === undefined
        ? this.run(kws, event, data, ackId)
        : runOnce(kws, rid as number | undefined, () =>
            tracer === undefined
              ? this.run(kws, event, data, ackId)
              : tracer.event(kws, event, ackId, trace, raw.length, () =>
                  this.run(kws, event, data, ackId),
                ),
          );
    if (isPromiseLike(outcome)) {
      inFlight?.track(kws, outcome);
      outcome.then((settled) => {
        if (timers !== undefined) ackTimed(timers, event, started, settled);
        answer(kws, ackId, settled);
      });
    } else {
      if (timers !== undefined) ackTimed(timers, event, started, outcome);
      answer(kws, ackId, outcome);
    }
  }

  /** A channel's packet: bounded by `maxInFlight` like any event, then the channels' own. */
  private onChannelPacket(kws: Kws, packet: KwsEventPacket, raw: Buffer): void {
    const channels = kws.context.channels;
    if (channels === undefined) return;
    const ackId = Number.isInteger(packet.id) ? (packet.id as number) : undefined;
    const channel = typeof packet.channel === 'string' ? packet.channel : '';
    if (!this.admitted(kws, raw, ackId, channel)) return;
    const running = channels.receive(kws, packet);
    if (running !== undefined) this.dispatcher.inFlight?.track(kws, running);
  }

  /**
   * The one `maxInFlight` check of client events and channel packets: false (with the refusal
   * counted, reported once per episode, and a 429 acknowledgement) when the connection has its
   * quota of messages still running.
   */
  private admitted(kws: Kws, raw: Buffer, ackId: number | undefined, channel?: string): boolean {
    const inFlight = this.dispatcher.inFlight;
    if (inFlight === undefined || inFlight.admit(kws)) return true;
    this.dispatcher.refuseInFlight(kws, raw, false);
    if (ackId !== undefined) {
      kws.sendPacket(
        channel === undefined
          ? { ack: ackId, error: TOO_MANY_IN_FLIGHT }
          : { channel, ack: ackId, error: TOO_MANY_IN_FLIGHT },
      );
    }
    return false;
  }

  /** Runs the listeners (no closure per message). */
  private run(
    kws: Kws,
    event: string,
    data: unknown,
    ackId: number | undefined,
  ): KwsDispatchOutcome | Promise<KwsDispatchOutcome> {
    return this.dispatcher.run(kws, event, data, true, ackId);
  }

  private reject(kws: Kws, raw: Buffer, why: string): void {
    this.dispatcher.dispatch(
      kws,
      KwsEvent.Error,
      Buffer.from(raw),
      false,
      new KwsProtocolError(MALFORMED_PACKET(why)),
    );
  }
}

/**
 * With an `id`: the acknowledgement (the first value a listener returned, or the error). Without
 * one: a returned `{ event, data }` (Nest's `WsResponse`) goes back to the sender, as in a gateway;
 * one that cannot be encoded is an `error` event (`emit` never throws).
 */
function answer(kws: Kws, ackId: number | undefined, outcome: KwsDispatchOutcome): void {
  if (ackId === undefined) {
    if (outcome.error === undefined && isWsResponse(outcome.value)) kws.emit(outcome.value);
    return;
  }
  const body = ackBodyOf(outcome);
  // A value the parser cannot encode (a cycle, a BigInt, data nested too deep) is a 500 error
  // ack and an `error` event: `sendAck` never throws.
  if ('data' in body) kws.sendAck(ackId, body.data);
  else kws.sendPacket(body.error ? { ack: ackId, error: body.error } : { ack: ackId });
}

function isWsResponse(value: unknown): value is { event: string; data: unknown } {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { event?: unknown }).event === 'string'
  );
}
