/** Metadata key under which `@OnKwsJoin`, `@OnKwsChannelEvent` and `@OnKwsLeave` store their entries. */
export const KWS_CHANNEL_METADATA = 'kws:channel';

/**
 * A channel is a room with an authorization step: its members are the members of the room
 * `ch:<name>`, so room broadcasts, cluster fan-out and session recovery carry channels as they
 * carry rooms. Rooms whose name starts with this prefix belong to channels.
 */
export const CHANNEL_ROOM_PREFIX = 'ch:';

/** @internal Injection token of an endpoint's channel setup (option `channels` checked, `cluster`). */
export const KWS_CHANNEL_SETUP = Symbol('KWS_CHANNEL_SETUP');

/** Reserved events of the channel protocol (docs/protocol.md); a channel's own events never use them. */
export const ChannelControl = {
  Join: 'kws:join',
  Leave: 'kws:leave',
  PresenceState: 'kws:presence_state',
  PresenceDiff: 'kws:presence_diff',
  Kicked: 'kws:kicked',
  History: 'kws:history',
} as const;

export const CHANNEL_CONTROL_EVENTS: ReadonlySet<string> = new Set(Object.values(ChannelControl));

/** Longest channel name a client may use (option `channels.maxNameLength`). */
export const DEFAULT_MAX_CHANNEL_NAME_LENGTH = 128;
/** Channels one connection may be in at once (option `channels.maxPerConnection`). */
export const DEFAULT_MAX_CHANNELS_PER_CONNECTION = 100;
/** Largest presence meta, in bytes of JSON (option `channels.maxMetaBytes`). */
export const DEFAULT_MAX_PRESENCE_META_BYTES = 1024;

/** The room that holds a channel's members. */
export function channelRoom(channel: string): string {
  return CHANNEL_ROOM_PREFIX + channel;
}

/** The channel a room belongs to, or undefined for an app's own room. */
export function channelOfRoom(room: string): string | undefined {
  return room.startsWith(CHANNEL_ROOM_PREFIX) ? room.slice(CHANNEL_ROOM_PREFIX.length) : undefined;
}
