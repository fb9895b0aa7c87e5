import type { Kws } from '../connection/kws.js';
import type { KwsDisconnectError } from '../errors/kws-disconnect.error.js';
import { KwsEvent } from '../kws.constants.js';

/**
 * The one way a connection (or a suspended session) ends: it leaves the pool, the broker and its
 * rooms, its requests fail, and `disconnect` fires, once, with `error` saying why (null: clean),
 * if `connect` had accepted it (a refused connection never connected, so never disconnects).
 * Returns the settling of async `disconnect` listeners (shutdown awaits them).
 */
export function endConnection(
  kws: Kws,
  error: KwsDisconnectError | null,
): Promise<unknown> | undefined {
  if (!kws.markEnded()) return undefined;
  const { pool, broker, dispatcher, recovery } = kws.context;
  recovery?.forget(kws);
  if (pool.delete(kws)) broker.unregister(kws.uuid);
  if (!kws.hasConnected) return undefined;
  return dispatcher.dispatch(kws, KwsEvent.Disconnect, undefined, false, error);
}
