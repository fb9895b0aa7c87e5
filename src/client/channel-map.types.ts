import type { KwsEventName } from './kws-events.types.js';

/**
 * The types of one channel, shared by server and client (as the connection's event maps are):
 *
 *     interface RoomChannel {
 *       params: { token: string };              // what `client.join(name, params)` sends
 *       reply: { topic: string };               // what the join handler answers
 *       server: { msg(m: { from: string; text: string }): void }; // pushed to members
 *       client: { msg(m: { text: string }): { id: number } };     // sent by members, with the ack
 *     }
 */
export interface KwsChannelMap {
  params?: unknown;
  reply?: unknown;
  server?: object;
  client?: object;
}

/** A map's part, or "anything" when the map does not declare it. */
type Part<M, K extends keyof KwsChannelMap, Fallback> = M extends { [P in K]: infer T }
  ? T
  : Fallback;

/** What members send, as an event map. */
export type KwsChannelClientEvents<M> = Part<M, 'client', KwsAnyChannelEvents>;
/** What the server pushes to members, as an event map. */
export type KwsChannelServerEvents<M> = Part<M, 'server', KwsAnyChannelEvents>;
/** The join parameters. */
export type KwsChannelParams<M> = Part<M, 'params', unknown>;
/** The join handler's answer. */
export type KwsChannelReply<M> = Part<M, 'reply', unknown>;

/** Any event, any payload: an untyped channel. */
export interface KwsAnyChannelEvents {
  [event: string]: (data?: any) => any;
}

/** An event members may send on a channel of map `M` (any string when `M` declares no `client`). */
export type KwsChannelClientEvent<M> = KwsEventName<KwsChannelClientEvents<M>>;
