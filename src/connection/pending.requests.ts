import { KwsAckError } from '../errors/kws-ack.error.js';
import { KwsError } from '../errors/kws.error.js';
import { KwsTimeoutError } from '../errors/kws-timeout.error.js';
import { readAckError } from '../events/ack-error.reader.js';
import type { KwsAckPacket } from '../events/kws-packet.interface.js';
import { TOO_MANY_PENDING_REQUESTS } from '../kws.messages.js';

interface Waiter {
  resolve(value: unknown): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

const MAX_ID = 2 ** 31 - 1;

/** The server's requests to one connection that wait for the client's acknowledgement. */
export class KwsPendingRequests {
  private lastId = 0;
  private readonly waiting = new Map<number, Waiter>();

  constructor(private readonly limit: number) {}

  get size(): number {
    return this.waiting.size;
  }

  /** Reserves an id and a promise of the answer; fails at once past the per-connection limit. */
  open(event: string, timeoutMs: number): { id: number; answer: Promise<unknown> } {
    if (this.waiting.size >= this.limit) throw new KwsError(TOO_MANY_PENDING_REQUESTS(this.limit));
    do this.lastId = this.lastId >= MAX_ID ? 1 : this.lastId + 1;
    while (this.waiting.has(this.lastId));
    const id = this.lastId;
    const answer = new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new KwsTimeoutError(event, timeoutMs));
      }, timeoutMs);
      this.waiting.set(id, { resolve, reject, timer });
    });
    return { id, answer };
  }

  /** Settles the request an acknowledgement answers; false for an unknown id. */
  settle(packet: KwsAckPacket): boolean {
    const waiter = this.waiting.get(packet.ack);
    if (!waiter) return false;
    this.waiting.delete(packet.ack);
    clearTimeout(waiter.timer);
    if (packet.error !== undefined && packet.error !== null) {
      // Straight from the wire: read as hostile (a `toString` that is not a function, a 1 MB text).
      const { message, status } = readAckError(packet.error);
      waiter.reject(new KwsAckError(message, status));
    } else {
      waiter.resolve(packet.data);
    }
    return true;
  }

  /** Rejects the request with this id (its packet could not be written). */
  cancel(id: number, error: Error): void {
    const waiter = this.waiting.get(id);
    if (!waiter) return;
    this.waiting.delete(id);
    clearTimeout(waiter.timer);
    waiter.reject(error);
  }

  /** The connection ended: nothing will answer. */
  failAll(error: Error): void {
    for (const [id, waiter] of this.waiting) {
      this.waiting.delete(id);
      clearTimeout(waiter.timer);
      waiter.reject(error);
    }
  }
}
