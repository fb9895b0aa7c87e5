// nestjs-kws/client: no server imports (it ships to browsers), no dependencies.
export { KwsClient } from './kws.client.js';
export { KwsClientError, type KwsClientErrorCode } from './kws-client.error.js';
export { backoffDelay } from './backoff.js';
export type {
  KwsClientOptions,
  KwsClientState,
  KwsFrame,
  KwsRequestOptions,
  KwsSession,
  KwsSocketConstructor,
  KwsSocketLike,
  KwsStateChange,
} from './kws-client.options.js';
export type {
  KwsAnyEvents,
  KwsEventArgs,
  KwsEventData,
  KwsEventMap,
  KwsEventName,
  KwsEventReply,
  KwsRequestArgs,
} from './kws-events.types.js';
