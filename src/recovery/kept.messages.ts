import type { KwsOutbound } from '../connection/outbound.message.js';

/**
 * The messages of one session that its client may not have received, in the order they were
 * written. Entries are the shared outgoing messages of the sends (a broadcast is kept by
 * reference, not copied per recipient). The front is trimmed when a pong proves the client read
 * it, or when the bound is reached.
 */
export class KeptMessages {
  private items: Array<KwsOutbound | undefined> = [];
  private start = 0;
  /** Absolute position (messages ever kept) of `items[start]`. */
  private base = 0;
  /** The offset of the last message trimmed from the front; undefined while none was. */
  private lastTrimmed: string | undefined;

  get size(): number {
    return this.items.length - this.start;
  }

  push(message: KwsOutbound): void {
    this.items.push(message);
  }

  /** Where the next message will go: hand it to `trimTo` once the client proves it read this far. */
  mark(): number {
    return this.base + this.size;
  }

  /** Forgets every message before the absolute position `mark`. */
  trimTo(mark: number): void {
    while (this.base < mark && this.size > 0) this.dropFront();
  }

  /** Forgets the oldest messages until at most `max` are left. */
  trimToSize(max: number): void {
    while (this.size > max) this.dropFront();
  }

  /**
   * The messages after `offset` (the last one the client received; '' when none), or undefined
   * when some message the client did not receive was already trimmed: the session cannot be
   * restored exactly.
   */
  after(offset: string): KwsOutbound[] | undefined {
    if (offset === (this.lastTrimmed ?? '')) return this.slice(this.start);
    for (let i = this.items.length - 1; i >= this.start; i--) {
      if (this.items[i]!.offset === offset) return this.slice(i + 1);
    }
    return undefined;
  }

  private slice(from: number): KwsOutbound[] {
    return this.items.slice(from) as KwsOutbound[];
  }

  private dropFront(): void {
    this.lastTrimmed = this.items[this.start]!.offset;
    this.items[this.start++] = undefined;
    this.base++;
    // Compact now and then, so a long-lived session does not keep a growing array of holes.
    if (this.start >= 64 && this.start * 2 >= this.items.length) {
      this.items = this.items.slice(this.start);
      this.start = 0;
    }
  }
}
