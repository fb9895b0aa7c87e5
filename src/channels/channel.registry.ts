import { Injectable } from '@nestjs/common';
import { KwsError } from '../errors/kws.error.js';
import type { KwsListener } from '../events/kws-event-payload.interface.js';
import { DEFAULT_ENDPOINT } from '../kws.constants.js';
import { DUPLICATE_JOIN_HANDLER, INVALID_OPTION } from '../kws.messages.js';
import { KwsChannelPattern } from './channel.pattern.js';
import type { KwsChannelHistoryOptions } from './on-kws-channel.decorator.js';

/** The join handler of one pattern, and what the pattern keeps. */
export interface KwsJoinEntry {
  readonly pattern: KwsChannelPattern;
  readonly listener: KwsListener;
  readonly history: KwsChannelHistoryOptions | undefined;
}

interface PatternListener {
  readonly pattern: KwsChannelPattern;
  readonly listener: KwsListener;
}

interface EndpointChannels {
  joins: KwsJoinEntry[];
  events: Map<string, PatternListener[]>;
  leaves: PatternListener[];
}

/** Every channel handler, per endpoint: who authorizes a join, who handles an event, a leave. */
@Injectable()
export class KwsChannelRegistry {
  private readonly endpoints = new Map<string, EndpointChannels>();

  addJoin(
    pattern: string,
    listener: KwsListener,
    endpoint = DEFAULT_ENDPOINT,
    history?: KwsChannelHistoryOptions,
  ): void {
    const channels = this.of(endpoint);
    if (history !== undefined) checkHistory(pattern, history);
    if (channels.joins.some((entry) => entry.pattern.source === pattern)) {
      throw new KwsError(DUPLICATE_JOIN_HANDLER(pattern));
    }
    channels.joins.push({ pattern: new KwsChannelPattern(pattern), listener, history });
    // Most specific first: an exact name, then the longest literal part; ties keep their order.
    channels.joins.sort((a, b) => b.pattern.specificity - a.pattern.specificity);
  }

  addEvent(
    pattern: string,
    event: string,
    listener: KwsListener,
    endpoint = DEFAULT_ENDPOINT,
  ): void {
    const events = this.of(endpoint).events;
    events.set(event, [
      ...(events.get(event) ?? []),
      { pattern: new KwsChannelPattern(pattern), listener },
    ]);
  }

  addLeave(pattern: string, listener: KwsListener, endpoint = DEFAULT_ENDPOINT): void {
    this.of(endpoint).leaves.push({ pattern: new KwsChannelPattern(pattern), listener });
  }

  /** The join handler for a channel name (the most specific matching pattern), if any. */
  join(channel: string, endpoint = DEFAULT_ENDPOINT): KwsJoinEntry | undefined {
    return this.endpoints.get(endpoint)?.joins.find((entry) => entry.pattern.matches(channel));
  }

  /** Whether an endpoint has any join handler (channels are in use there). */
  hasJoins(endpoint = DEFAULT_ENDPOINT): boolean {
    return (this.endpoints.get(endpoint)?.joins.length ?? 0) > 0;
  }

  /** The handlers of a channel's event. */
  event(channel: string, event: string, endpoint = DEFAULT_ENDPOINT): KwsListener[] {
    const entries = this.endpoints.get(endpoint)?.events.get(event) ?? [];
    return entries.filter((entry) => entry.pattern.matches(channel)).map((entry) => entry.listener);
  }

  /** The handlers run when a member leaves a channel. */
  leave(channel: string, endpoint = DEFAULT_ENDPOINT): KwsListener[] {
    const entries = this.endpoints.get(endpoint)?.leaves ?? [];
    return entries.filter((entry) => entry.pattern.matches(channel)).map((entry) => entry.listener);
  }

  private of(endpoint: string): EndpointChannels {
    let channels = this.endpoints.get(endpoint);
    if (!channels) {
      channels = { joins: [], events: new Map(), leaves: [] };
      this.endpoints.set(endpoint, channels);
    }
    return channels;
  }
}

/** `history: { size, ttl }` of a join handler, checked at bootstrap. */
function checkHistory(pattern: string, history: KwsChannelHistoryOptions): void {
  const { size, ttl } = history;
  const where = `@OnKwsJoin('${pattern}') history`;
  if (size === undefined && ttl === undefined) {
    throw new KwsError(INVALID_OPTION(where, history, 'at least one of size and ttl'));
  }
  if (size !== undefined && !(Number.isInteger(size) && size > 0)) {
    throw new KwsError(INVALID_OPTION(`${where}.size`, size, 'an integer > 0'));
  }
  if (ttl !== undefined && !(Number.isFinite(ttl) && ttl > 0)) {
    throw new KwsError(INVALID_OPTION(`${where}.ttl`, ttl, 'a number of milliseconds > 0'));
  }
}
