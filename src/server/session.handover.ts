import type { WebSocket } from 'ws';
import { KwsState, type Kws } from '../connection/kws.js';
import type { KwsContext } from '../connection/kws.context.js';
import { CloseCode } from '../kws.constants.js';
import { requestsRunning } from '../recovery/request.dedupe.js';
import type { KwsTransport } from '../transport/kws.transport.js';
import { closeSockets } from '../transport/socket.shutdown.js';
import type { KwsConnectionPool } from './connection.pool.js';

/** The close reason of a handover: 1012 with the retry-after of docs/protocol.md (none to wait). */
export const HANDOVER_CLOSE_REASON = JSON.stringify({ retryAfter: 0 });

/** Endpoints that began shutting down: their readiness is down (`KwsHealthIndicator.isReady`). */
const draining = new WeakSet<KwsContext>();

/** Whether the endpoint of `context` is shutting down (readiness down). */
export function isDraining(context: KwsContext): boolean {
  return draining.has(context);
}

/**
 * The first step of every shutdown: readiness goes down. Then, in cluster mode with recovery and
 * `recovery.handover` (default on), the sessions are handed over instead of ended:
 * 1. no new sockets (upgrades get 503; a balancer that reads readiness stopped sending them);
 * 2. requests with a `rid` still running answer, up to `timeoutMs` (their answers go out before
 *    the close: a retry on another node, which does not know their rid, is not needed);
 * 3. each session is saved suspended in Redis (awaited: another node may take it from then on) and
 *    leaves this node without ending (no `disconnect`);
 * 4. its socket closes with 1012 after everything already written (ws keeps the order), and the
 *    client resumes on another node from the last offset it received.
 * What is left in the pool afterwards (connections still opening, sessions Redis did not take)
 * closes as usual. Resolves once the handed-over sockets closed (or `timeoutMs` passed).
 */
export async function drainForShutdown(
  context: KwsContext,
  pool: KwsConnectionPool,
  transport: KwsTransport,
  handover: boolean | undefined,
  timeoutMs: number,
): Promise<void> {
  draining.add(context);
  const recovery = context.recovery;
  if (handover === false || !recovery?.store) return;
  transport.stopAccepting();
  // A resume accepted just before is still deciding: let it finish, then hand it over too (ended
  // here instead, its session would be lost: its token was spent on this node).
  const deadline = performance.now() + timeoutMs;
  const store = recovery.store;
  while ((opening(pool) || (store.taking?.() ?? 0) > 0) && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const sessions = Array.from(pool.values()).filter(
    (kws) =>
      kws.session !== undefined &&
      (kws.state === KwsState.Connected || kws.state === KwsState.Suspended),
  );
  await within(Promise.all(sessions.flatMap(requestsRunning)), timeoutMs);
  const sockets: WebSocket[] = [];
  await Promise.all(
    sessions.map(async (kws: Kws) => {
      const open = kws.state === KwsState.Connected;
      if ((await recovery.handOver(kws)) && open) sockets.push(kws.conn);
    }),
  );
  await closeSockets(sockets, timeoutMs, CloseCode.ServiceRestart, HANDOVER_CLOSE_REASON);
}

function opening(pool: KwsConnectionPool): boolean {
  for (const kws of pool.values()) if (kws.state === KwsState.Opening) return true;
  return false;
}

function within(promise: Promise<unknown>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    void promise.finally(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
