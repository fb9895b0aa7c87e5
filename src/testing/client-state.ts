import type { KwsClient, KwsClientState, KwsStateChange } from '../client/index.js';

/**
 * Resolves with the state change that brings `client` to `state` (at once if it is there already),
 * rejects after `timeoutMs` or when the client closes for good while waiting for another state.
 */
export function waitForState(
  client: KwsClient<any, any>,
  state: KwsClientState,
  timeoutMs = 5_000,
): Promise<KwsStateChange> {
  if (client.state === state) return Promise.resolve({ state });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`timed out waiting for the client to be ${state} (it is ${client.state})`));
    }, timeoutMs);
    const stop = client.onState((change) => {
      if (change.state !== state && change.state !== 'closed') return;
      stop();
      clearTimeout(timer);
      if (change.state === state) resolve(change);
      else reject(new Error(`the client closed (code ${change.code}) while waiting for ${state}`));
    });
  });
}
