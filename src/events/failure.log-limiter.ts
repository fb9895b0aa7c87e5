/** How long one listener's repeated failure is logged once (then counted). */
export const FAILURE_LOG_WINDOW_MS = 10_000;
/** Distinct errors tracked per listener; beyond, they share one entry. */
const MAX_KINDS = 32;

interface Window {
  until: number;
  suppressed: number;
}

/**
 * Decides which listener failures get a full log line: the first of a kind (same listener, same
 * error name and message) in each `FAILURE_LOG_WINDOW_MS`; the repeats are counted and reported
 * in one line when the window ends. A listener that throws on every message costs one stack per
 * window, not one per 1-byte message.
 */
export class FailureLogLimiter {
  private readonly windows = new WeakMap<object, Map<string, Window>>();

  constructor(private readonly windowMs = FAILURE_LOG_WINDOW_MS) {}

  get windowSeconds(): number {
    return this.windowMs / 1000;
  }

  /**
   * True when this failure should be logged in full. Otherwise it is counted, and
   * `onSuppressed(count)` runs once when its window ends.
   */
  admit(listener: object, error: Error, onSuppressed: (count: number) => void): boolean {
    let kinds = this.windows.get(listener);
    if (!kinds) this.windows.set(listener, (kinds = new Map()));
    const kind = kinds.size < MAX_KINDS ? `${error.name}\u0000${error.message}` : '*';
    const now = Date.now();
    const window = kinds.get(kind);
    if (!window || now >= window.until) {
      kinds.set(kind, { until: now + this.windowMs, suppressed: 0 });
      return true;
    }
    if (window.suppressed++ === 0) {
      const timer = setTimeout(() => {
        kinds.delete(kind);
        onSuppressed(window.suppressed);
      }, window.until - now);
      timer.unref();
    }
    return false;
  }
}
