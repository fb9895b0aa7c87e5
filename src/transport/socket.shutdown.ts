import type { WebSocket } from 'ws';
import { CloseCode, SHUTDOWN_CLOSE_REASON } from '../kws.constants.js';

const CLOSED = 3;
/** How long a terminated socket may take to report its close (it is already destroyed). */
const TERMINATE_WAIT_MS = 100;

/**
 * The one shutdown sequence, driven by close events: 1001 to each socket, then as soon as all have
 * closed (or after `timeoutMs`) the rest are terminated. Resolves once every socket reported its
 * close, or shortly after terminating the stragglers.
 */
export async function closeSockets(
  sockets: readonly WebSocket[],
  timeoutMs: number,
  code: number = CloseCode.GoingAway,
  reason: string = SHUTDOWN_CLOSE_REASON,
): Promise<void> {
  const open = sockets.filter((ws) => ws.readyState !== CLOSED);
  if (open.length === 0) return;
  let remaining = open.length;
  let wake: () => void = () => undefined;
  const onClose = (): void => {
    if (--remaining === 0) wake();
  };
  const allClosedOr = (ms: number): Promise<void> =>
    new Promise<void>((resolve) => {
      if (remaining === 0) return resolve();
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  for (const ws of open) {
    ws.once('close', onClose);
    try {
      ws.close(code, reason);
    } catch {
      ws.terminate();
    }
  }
  await allClosedOr(timeoutMs);
  if (remaining === 0) return;
  for (const ws of open) if (ws.readyState !== CLOSED) ws.terminate();
  await allClosedOr(TERMINATE_WAIT_MS);
}
