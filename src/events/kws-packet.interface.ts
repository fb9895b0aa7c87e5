/** An event: `{ event, data }`, with an `id` when the sender asks for an acknowledgement. */
export interface KwsEventPacket<T = unknown> {
  event: string;
  data?: T;
  /** Present when the sender wants an acknowledgement (a positive integer). */
  id?: number;
  /**
   * Client -> server, with `id`: the request's id within its session. A retry carries the same
   * `rid` and gets the first run's answer (docs/protocol.md, "Retries that run once").
   */
  rid?: number;
  /** Server -> client with connection-state recovery on: where this packet sits in the session. */
  offset?: string;
  /** A channel's packet (docs/channels.md); connection-level events never carry it. */
  channel?: string;
  /** A channel message kept in its history: its position (`since` of a later history read). */
  seq?: string;
  /** Client -> server, optional: W3C trace context (`traceparent`, `tracestate`), see docs/observability.md. */
  trace?: Record<string, string>;
}

/** What an error acknowledgement carries. */
export interface KwsAckErrorBody {
  message: string;
  status: number;
}

/** The answer to an event that carried an `id`: data, or an error. */
export interface KwsAckPacket<T = unknown> {
  ack: number;
  /** The answer to a channel's packet names the channel. */
  channel?: string;
  data?: T;
  error?: KwsAckErrorBody;
}

/** Server -> client, first packet of a connection with recovery on (see docs/protocol.md). */
export interface KwsSessionPacket {
  session: { token: string; recovered: boolean; uuid: string };
}

/** Every packet of the named-events protocol. */
export type KwsPacket = KwsEventPacket | KwsAckPacket | KwsSessionPacket;

/**
 * Turns frames into packets and back (`parser` option). `decode` returns `undefined` for a frame
 * that is not a packet: it then reaches `message` listeners as raw bytes. Implement it to plug in
 * a binary codec (MessagePack, CBOR); `'json'` is built in.
 */
export interface KwsParser {
  decode(data: Buffer, isBinary: boolean): KwsPacket | undefined;
  encode(packet: KwsPacket): string | Buffer;
}

export function isEventPacket(packet: KwsPacket): packet is KwsEventPacket {
  return typeof (packet as KwsEventPacket).event === 'string';
}

export function isAckPacket(packet: KwsPacket): packet is KwsAckPacket {
  return typeof (packet as KwsAckPacket).ack === 'number';
}
