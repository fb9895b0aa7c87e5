/** What happens to a connection past its `rateLimit`. */
export type KwsRateLimitAction = 'drop' | 'close';

/**
 * The `rateLimit` option: a token bucket per connection, checked before a frame is parsed. A
 * connection may send a burst of `messages` (and `bytes`) at once, then that much per `per` ms.
 */
export interface KwsRateLimitOptions {
  /** Data frames per `per`. Default: no message limit. */
  messages?: number;
  /** Payload bytes per `per` (a message larger than what is left waits until the bucket is positive again). */
  bytes?: number;
  /** The window, in milliseconds. Default 1 000. */
  per?: number;
  /** Ping and pong frames per `per`, counted apart from messages. Default: the `messages` limit. */
  pings?: number;
  /**
   * `'drop'` (default): discard the frame; the connection gets one `error` event per `per` window
   * (`KwsRateLimitError`) and, with a parser, an error ack with status 429 for each dropped event
   * that has an `id`. `'close'`: close the connection with 1008.
   */
  action?: KwsRateLimitAction;
}
