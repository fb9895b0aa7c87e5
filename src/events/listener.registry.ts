import { Injectable } from '@nestjs/common';
import type { KwsListener } from './kws-event-payload.interface.js';

const NONE: readonly KwsListener[] = Object.freeze([]);

/**
 * Every listener of every event, in registration order. Arrays are replaced, never mutated, so a
 * dispatch in progress keeps the list it started with.
 */
@Injectable()
export class KwsListenerRegistry {
  private readonly listeners = new Map<string, readonly KwsListener[]>();

  /** Adds a listener; the same function may be added twice and then runs twice. */
  add(event: string, listener: KwsListener): void {
    this.listeners.set(event, [...this.get(event), listener]);
  }

  /** Removes one registration of `listener`, or every listener of `event` when none is given. */
  remove(event: string, listener?: KwsListener): void {
    if (!listener) {
      this.listeners.delete(event);
      return;
    }
    const current = this.get(event);
    const index = current.lastIndexOf(listener);
    if (index < 0) return;
    const next = current.filter((_, i) => i !== index);
    if (next.length) this.listeners.set(event, next);
    else this.listeners.delete(event);
  }

  /** The listeners of `event` (an empty shared array when there are none). */
  get(event: string): readonly KwsListener[] {
    return this.listeners.get(event) ?? NONE;
  }

  /** The events that have at least one listener. */
  events(): string[] {
    return [...this.listeners.keys()];
  }
}
