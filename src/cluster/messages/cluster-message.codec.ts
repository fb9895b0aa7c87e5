import { KwsError } from '../../errors/kws.error.js';
import { CLUSTER_MESSAGE_UNREADABLE } from '../../kws.messages.js';
import {
  CLUSTER_PROTOCOL_VERSION,
  ClusterMessageType,
  type ClusterMessage,
  type ReplyStatus,
} from './cluster-message.js';
import { clusterTracing, splitTraceTrailer, TRACED_FLAG } from '../../telemetry/cluster.trace.js';
import type { KwsTraceCarrier } from '../../telemetry/trace-carrier.js';

/** A message this node cannot read (another protocol version); `version` says which. */
export class UnreadableClusterMessageError extends KwsError {
  constructor(readonly version: number) {
    super(CLUSTER_MESSAGE_UNREADABLE(version, CLUSTER_PROTOCOL_VERSION));
  }
}

/**
 * Binary encoding of cluster messages: a version byte, a type byte, then fields (strings as u16 length + UTF-8,
 * lists as u32 count), and the payload last, as raw bytes. No JSON, no base64: a broadcast
 * payload crosses Redis as it is.
 */
export function encodeClusterMessage(message: ClusterMessage): Buffer {
  // Tracing on (some endpoint has `tracing: true`): an optional trace trailer after the message.
  const hop = clusterTracing.hop;
  return hop === undefined ? encodeMessage(message) : hop.stamp(message, encodeMessage(message));
}

function encodeMessage(message: ClusterMessage): Buffer {
  const writer = new Writer();
  writer.u8(CLUSTER_PROTOCOL_VERSION).u8(message.type);
  switch (message.type) {
    case ClusterMessageType.Broadcast:
      writer
        .str(message.origin)
        .u32(message.epoch)
        .u32(message.seq)
        .str(message.except)
        .str(message.room)
        .u8(message.binary ? 1 : 0);
      return writer.finish(message.data);
    case ClusterMessageType.Fire:
      writer.str(message.origin).u32(message.epoch).u32(message.seq).str(message.event);
      return writer.finish(message.data);
    case ClusterMessageType.CloseAll:
      writer.str(message.origin).u32(message.epoch).u32(message.seq);
      writer.u16(message.code).str(message.reason);
      return writer.finish();
    case ClusterMessageType.Deliver:
      writer
        .u32(message.id)
        .str(message.replyTo)
        .str(message.uuid)
        .u8(message.binary ? 1 : 0);
      return writer.finish(message.data);
    case ClusterMessageType.DeliverList:
      writer
        .u32(message.id)
        .str(message.replyTo)
        .list(message.uuids)
        .u8(message.binary ? 1 : 0);
      return writer.finish(message.data);
    case ClusterMessageType.Close:
      writer.u32(message.id).str(message.replyTo).str(message.uuid).u16(message.code);
      writer.str(message.reason);
      return writer.finish();
    case ClusterMessageType.Reply:
      writer.u32(message.id).u8(message.status).list(message.uuids);
      return writer.finish(message.data);
    case ClusterMessageType.Leave:
      writer.str(message.origin);
      return writer.finish();
    case ClusterMessageType.Request:
      writer.u32(message.id).str(message.replyTo).str(message.uuid).u32(message.timeoutMs);
      return writer.finish(message.packet);
    case ClusterMessageType.RoomJoin:
    case ClusterMessageType.RoomLeave:
      writer.u32(message.id).str(message.replyTo).str(message.uuid).list(message.rooms);
      return writer.finish();
    case ClusterMessageType.Describe:
      writer.u32(message.id).str(message.replyTo).str(message.uuid);
      return writer.finish();
  }
}

/**
 * Decodes what `encodeClusterMessage` wrote; payloads are views into `buffer`, not copies. Throws
 * `UnreadableClusterMessageError` for another protocol version.
 */
export function decodeClusterMessage(buffer: Buffer): ClusterMessage & { trace?: KwsTraceCarrier } {
  if (buffer.length > 1 && (buffer[1] & TRACED_FLAG) !== 0) {
    const { body, carrier } = splitTraceTrailer(buffer);
    return Object.assign(decodeMessage(body), { trace: carrier });
  }
  return decodeMessage(buffer);
}

function decodeMessage(buffer: Buffer): ClusterMessage {
  const reader = new Reader(buffer);
  const version = buffer.length > 0 ? reader.u8() : -1;
  if (version !== CLUSTER_PROTOCOL_VERSION) throw new UnreadableClusterMessageError(version);
  const type = reader.u8() & ~TRACED_FLAG;
  switch (type) {
    case ClusterMessageType.Broadcast:
      return {
        type,
        origin: reader.str(),
        epoch: reader.u32(),
        seq: reader.u32(),
        except: reader.str(),
        room: reader.str(),
        binary: reader.u8() === 1,
        data: reader.rest(),
      };
    case ClusterMessageType.Fire:
      return {
        type,
        origin: reader.str(),
        epoch: reader.u32(),
        seq: reader.u32(),
        event: reader.str(),
        data: reader.rest(),
      };
    case ClusterMessageType.CloseAll:
      return {
        type,
        origin: reader.str(),
        epoch: reader.u32(),
        seq: reader.u32(),
        code: reader.u16(),
        reason: reader.str(),
      };
    case ClusterMessageType.Deliver:
      return {
        type,
        id: reader.u32(),
        replyTo: reader.str(),
        uuid: reader.str(),
        binary: reader.u8() === 1,
        data: reader.rest(),
      };
    case ClusterMessageType.DeliverList:
      return {
        type,
        id: reader.u32(),
        replyTo: reader.str(),
        uuids: reader.list(),
        binary: reader.u8() === 1,
        data: reader.rest(),
      };
    case ClusterMessageType.Close:
      return {
        type,
        id: reader.u32(),
        replyTo: reader.str(),
        uuid: reader.str(),
        code: reader.u16(),
        reason: reader.str(),
      };
    case ClusterMessageType.Reply:
      return {
        type,
        id: reader.u32(),
        status: reader.u8() as ReplyStatus,
        uuids: reader.list(),
        data: reader.rest(),
      };
    case ClusterMessageType.Leave:
      return { type, origin: reader.str() };
    case ClusterMessageType.Request:
      return {
        type,
        id: reader.u32(),
        replyTo: reader.str(),
        uuid: reader.str(),
        timeoutMs: reader.u32(),
        packet: reader.rest(),
      };
    case ClusterMessageType.RoomJoin:
    case ClusterMessageType.RoomLeave:
      return {
        type,
        id: reader.u32(),
        replyTo: reader.str(),
        uuid: reader.str(),
        rooms: reader.list(),
      };
    case ClusterMessageType.Describe:
      return { type, id: reader.u32(), replyTo: reader.str(), uuid: reader.str() };
    default:
      throw new Error(`Unknown cluster message type ${type}`);
  }
}

class Writer {
  private readonly parts: Buffer[] = [];

  u8(value: number): this {
    this.parts.push(Buffer.of(value));
    return this;
  }

  u16(value: number): this {
    const buffer = Buffer.allocUnsafe(2);
    buffer.writeUInt16BE(value & 0xffff);
    this.parts.push(buffer);
    return this;
  }

  u32(value: number): this {
    const buffer = Buffer.allocUnsafe(4);
    buffer.writeUInt32BE(value >>> 0);
    this.parts.push(buffer);
    return this;
  }

  str(value: string): this {
    const bytes = Buffer.from(value);
    if (bytes.length > 0xffff) throw new RangeError('A cluster message string exceeds 65535 bytes');
    return this.u16(bytes.length).raw(bytes);
  }

  list(values: readonly string[]): this {
    this.u32(values.length);
    for (const value of values) this.str(value);
    return this;
  }

  finish(payload?: Buffer): Buffer {
    if (payload) this.parts.push(payload);
    return Buffer.concat(this.parts);
  }

  private raw(bytes: Buffer): this {
    this.parts.push(bytes);
    return this;
  }
}

class Reader {
  private offset = 0;

  constructor(private readonly buffer: Buffer) {}

  u8(): number {
    return this.buffer.readUInt8(this.offset++);
  }

  u16(): number {
    const value = this.buffer.readUInt16BE(this.offset);
    this.offset += 2;
    return value;
  }

  u32(): number {
    const value = this.buffer.readUInt32BE(this.offset);
    this.offset += 4;
    return value;
  }

  str(): string {
    const length = this.u16();
    const value = this.buffer.toString('utf8', this.offset, this.offset + length);
    this.offset += length;
    return value;
  }

  list(): string[] {
    const count = this.u32();
    const values: string[] = [];
    for (let i = 0; i < count; i++) values.push(this.str());
    return values;
  }

  rest(): Buffer {
    return this.buffer.subarray(this.offset);
  }
}
