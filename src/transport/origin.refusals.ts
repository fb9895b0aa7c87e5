import { Logger } from '@nestjs/common';
import { ORIGIN_REFUSALS_SUPPRESSED } from '../kws.messages.js';

/** How long an origin's refusal is logged once (then counted). */
export const ORIGIN_LOG_WINDOW_MS = 60_000;
/** Distinct origins logged per window; a client inventing origins gets counted, not logged. */
const MAX_LOGGED_ORIGINS = 16;
const logger = new Logger('KwsModule');

/**
 * Logs refused origins: each origin once per window, at most `MAX_LOGGED_ORIGINS` of them, and
 * one line counting the rest when the window ends. A page (or an attacker) retrying in a loop
 * costs one log line, not one per request.
 */
export class OriginRefusals {
  private readonly logged = new Set<string>();
  private until = 0;
  private suppressed = 0;

  constructor(private readonly windowMs = ORIGIN_LOG_WINDOW_MS) {}

  /** Reports one refusal; `why` is the log line, `origin` the header it is counted under. */
  report(origin: string | undefined, why: string): void {
    const now = Date.now();
    if (now >= this.until) {
      this.until = now + this.windowMs;
      this.logged.clear();
    }
    const key = String(origin).slice(0, 200);
    if (!this.logged.has(key) && this.logged.size < MAX_LOGGED_ORIGINS) {
      this.logged.add(key);
      logger.warn(why);
      return;
    }
    if (this.suppressed++ > 0) return;
    const timer = setTimeout(() => {
      logger.warn(ORIGIN_REFUSALS_SUPPRESSED(this.suppressed, this.windowMs / 1000));
      this.suppressed = 0;
    }, this.until - now);
    timer.unref();
  }
}
