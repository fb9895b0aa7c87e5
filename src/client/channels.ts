// nestjs-kws/client/channels: channels, presence and history on top of `KwsClient` (no server imports).
export { KwsChannelClient, type KwsChannelClientOptions } from './channel-client.js';
export {
  KwsChannel,
  type KwsChannelClose,
  type KwsChannelHistoryMessage,
  type KwsChannelHistoryPage,
  type KwsChannelRecovery,
  type KwsChannelState,
} from './channel.js';
export {
  KwsChannelPresence,
  type KwsClientPresenceMeta,
  type KwsPresenceEntry,
} from './channel-presence.js';
export type {
  KwsAnyChannelEvents,
  KwsChannelClientEvent,
  KwsChannelClientEvents,
  KwsChannelMap,
  KwsChannelParams,
  KwsChannelReply,
  KwsChannelServerEvents,
} from './channel-map.types.js';
