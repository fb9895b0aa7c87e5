// Every text the client throws, in one place (kept apart from the server's kws.messages.ts so
// nothing of the server ships to browsers).

export const REQUEST_TIMEOUT = (event: string, ms: number) =>
  `No acknowledgement of "${event}" within ${ms} ms.`;
export const CONNECTION_LOST = (event: string) =>
  `The connection was lost before "${event}" was acknowledged; the server may or may not have handled it.`;
export const CLIENT_CLOSED = 'The client is closed: nothing more can be sent.';
export const QUEUE_FULL = (size: number) =>
  `Not connected and the offline queue is full (${size} frames): this frame was not queued. Raise "queueSize" or wait for the "open" state.`;
export const NO_HANDLER = (event: string) => `The client has no handler for "${event}".`;
export const NO_WEBSOCKET =
  'No WebSocket class: this runtime has no global WebSocket (Node < 22); pass one, e.g. `new KwsClient(url, { WebSocket })` with `import { WebSocket } from "ws"`.';
export const MALFORMED_PACKET = (field: string) =>
  `Malformed packet from the server: its "${field}" is not what docs/protocol.md says.`;
export const HANDLER_FAILED = (event: string) => `A handler of "${event}" failed.`;
export const UNENCODABLE_ANSWER = (event: string) =>
  `The answer to "${event}" cannot be encoded as JSON.`;
export const CHANNEL_CLOSED = (channel: string) =>
  `Channel "${channel}" is closed (left, kicked or refused): join it again.`;
