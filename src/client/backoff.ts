/**
 * Exponential backoff with full jitter: a random delay in [0, min(maxDelay, minDelay * 2^attempt)).
 * Full jitter spreads a crowd of clients over the whole window after a server restart, so they do
 * not come back in lockstep (AWS "Exponential Backoff And Jitter").
 */
export function backoffDelay(
  attempt: number,
  minDelay: number,
  maxDelay: number,
  random = Math.random,
): number {
  return Math.floor(random() * Math.min(maxDelay, minDelay * 2 ** attempt));
}

/**
 * The `retryAfter` (ms) a server put in a close reason (`{"retryAfter":5000}`, docs/protocol.md),
 * capped at `max`: a server cannot park its clients for longer than their own `maxDelay`.
 */
export function retryAfterOf(reason: string | undefined, max: number): number {
  if (!reason || reason.charCodeAt(0) !== 0x7b) return 0;
  try {
    const value = (JSON.parse(reason) as { retryAfter?: unknown }).retryAfter;
    return typeof value === 'number' && value > 0 ? Math.min(value, max) : 0;
  } catch {
    return 0;
  }
}
