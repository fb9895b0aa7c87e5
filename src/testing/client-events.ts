import type { KwsClient, KwsEventData, KwsEventMap, KwsEventName } from '../client/index.js';

/**
 * Resolves with the data of the next `event` the server sends to `client`; rejects after
 * `timeoutMs`. Register it before the action that makes the server send.
 */
export function nextEvent<S extends KwsEventMap, E extends KwsEventName<S>>(
  client: KwsClient<S, any>,
  event: E,
  timeoutMs = 5_000,
): Promise<KwsEventData<S[E]>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.off(event, handler);
      reject(new Error(`timed out waiting for the server event "${event}"`));
    }, timeoutMs);
    const handler = (data: KwsEventData<S[E]>): undefined => {
      clearTimeout(timer);
      client.off(event, handler);
      resolve(data);
      return undefined;
    };
    client.on(event, handler as never);
  });
}
