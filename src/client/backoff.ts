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
