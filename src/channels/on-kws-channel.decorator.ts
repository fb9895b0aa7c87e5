import type { KwsChannelClientEvent, KwsChannelMap } from '../client/channel-map.types.js';
import { KWS_CHANNEL_METADATA } from './channel.constants.js';

/** What a channel keeps of its messages (per pattern, on its `@OnKwsJoin`). */
export interface KwsChannelHistoryOptions {
  /** How many of the last messages to keep. */
  size?: number;
  /** How long (ms) a message is kept. */
  ttl?: number;
}

/** Options of `@OnKwsJoin`. */
export interface OnKwsJoinOptions {
  /** The endpoint (`forRoot({ name })`); default: the class's `@OnKwsEndpoint`, else the unnamed one. */
  endpoint?: string;
  /** Keep the channel's messages for `KwsChannels.history` and `channel.history()`. */
  history?: KwsChannelHistoryOptions;
}

/** Options of `@OnKwsChannelEvent` and `@OnKwsLeave`. */
export interface OnKwsChannelHandlerOptions {
  endpoint?: string;
}

/** @internal What the channel decorators store on a method. */
export interface KwsChannelHandlerMetadata {
  kind: 'join' | 'event' | 'leave';
  pattern: string;
  event?: string;
  endpoint?: string;
  history?: KwsChannelHistoryOptions;
}

function store(entry: KwsChannelHandlerMetadata): MethodDecorator {
  return (_target, _key, descriptor) => {
    const method = descriptor.value as object;
    const previous: KwsChannelHandlerMetadata[] =
      Reflect.getMetadata(KWS_CHANNEL_METADATA, method) ?? [];
    Reflect.defineMetadata(KWS_CHANNEL_METADATA, [...previous, entry], method);
    return descriptor;
  };
}

/**
 * Authorizes a client's `join` of the channels matching `pattern` (`'room:*'`), through Nest's
 * pipeline: guards, interceptors, pipes (`@MessageBody()` is the join params, so a DTO with
 * `ValidationPipe` answers a bad one with 400), filters. Returning `false` or throwing refuses
 * the join (the client's `join` rejects with the reason and status); any other value is the
 * join's reply. `@KwsChannelName()` gives the channel's name. One join handler per pattern.
 */
export function OnKwsJoin(pattern: string, options: OnKwsJoinOptions = {}): MethodDecorator {
  return store({ kind: 'join', pattern, endpoint: options.endpoint, history: options.history });
}

/**
 * Handles an event members send on the channels matching `pattern`, through Nest's pipeline; its
 * return value is the acknowledgement. Only members reach it. With a channel map, a wrong event
 * name does not compile: `@OnKwsChannelEvent<RoomChannel>('room:*', 'msg')`.
 */
export function OnKwsChannelEvent<M extends KwsChannelMap = KwsChannelMap>(
  pattern: string,
  event: KwsChannelClientEvent<M>,
  options: OnKwsChannelHandlerOptions = {},
): MethodDecorator {
  return store({ kind: 'event', pattern, event, endpoint: options.endpoint });
}

/**
 * Runs when a member leaves a channel matching `pattern`, however it left: its own `leave`, a
 * kick or unsubscribe by the server, or the end of its session. The payload's data says why.
 */
export function OnKwsLeave(
  pattern: string,
  options: OnKwsChannelHandlerOptions = {},
): MethodDecorator {
  return store({ kind: 'leave', pattern, endpoint: options.endpoint });
}
