// The channel maps the shipped client uses type the server too (one interface per channel).
export type {
  KwsAnyChannelEvents,
  KwsChannelClientEvent,
  KwsChannelClientEvents,
  KwsChannelMap,
  KwsChannelParams,
  KwsChannelReply,
  KwsChannelServerEvents,
} from '../client/channel-map.types.js';
