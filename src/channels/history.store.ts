import { randomBytes } from 'node:crypto';
import type { KwsChannelHistoryOptions } from './on-kws-channel.decorator.js';

/** One kept message of a channel. `seq` is its position: opaque, `<epoch>.<offset>`. */
export interface KwsHistoryMessage {
  seq: string;
  event: string;
  data: unknown;
}

/** What `KwsChannels.history` and the client's `channel.history()` read. */
export interface KwsHistoryPage {
  /** Oldest first. */
  messages: KwsHistoryMessage[];
  /**
   * With `since`: false when messages after it are gone (trimmed by size or ttl, or the history
   * was lost: another epoch). The reader cannot recover what it missed and should reload.
   */
  complete: boolean;
  /** The position of the newest kept message ('' when none): where a later `since` starts. */
  seq: string;
}

/** Options of a history read. */
export interface KwsHistoryQuery {
  /** At most this many messages (the newest ones without `since`). Default 100. */
  limit?: number;
  /** Only the messages after this position (a `seq` a member received). */
  since?: string;
}

/** Where a channel's messages are kept: this process, or a Redis stream per channel. */
export interface KwsHistoryStore {
  append(
    channel: string,
    options: KwsChannelHistoryOptions,
    event: string,
    data: unknown,
  ): Promise<string>;
  read(
    channel: string,
    options: KwsChannelHistoryOptions,
    query: KwsHistoryQuery,
  ): Promise<KwsHistoryPage>;
  /** How many messages the channel keeps now (the inspector's figure). */
  size(channel: string, options: KwsChannelHistoryOptions): Promise<number>;
  stop?(): Promise<void>;
}

export const DEFAULT_HISTORY_LIMIT = 100;

interface Kept {
  n: number;
  at: number;
  event: string;
  data: unknown;
}

interface Log {
  epoch: string;
  next: number;
  /** The highest offset trimmed away (0: none). */
  dropped: number;
  items: Kept[];
}

/** Splits `<epoch>.<offset>`; undefined for anything else. */
export function parseSeq(seq: string): { epoch: string; offset: string } | undefined {
  const dot = typeof seq === 'string' ? seq.indexOf('.') : -1;
  if (dot <= 0 || dot === seq.length - 1) return undefined;
  return { epoch: seq.slice(0, dot), offset: seq.slice(dot + 1) };
}

/** One node: the history of each channel in this process (lost on restart: a new epoch). */
export class LocalHistoryStore implements KwsHistoryStore {
  private readonly logs = new Map<string, Log>();

  async append(
    channel: string,
    options: KwsChannelHistoryOptions,
    event: string,
    data: unknown,
  ): Promise<string> {
    let log = this.logs.get(channel);
    if (!log) {
      log = { epoch: randomBytes(6).toString('base64url'), next: 1, dropped: 0, items: [] };
      this.logs.set(channel, log);
    }
    const n = log.next++;
    log.items.push({ n, at: Date.now(), event, data });
    this.trim(log, options);
    return `${log.epoch}.${n}`;
  }

  async read(
    channel: string,
    options: KwsChannelHistoryOptions,
    query: KwsHistoryQuery,
  ): Promise<KwsHistoryPage> {
    const log = this.logs.get(channel);
    const limit = query.limit ?? DEFAULT_HISTORY_LIMIT;
    if (!log) return { messages: [], complete: query.since === undefined, seq: '' };
    this.trim(log, options);
    const toMessage = (kept: Kept): KwsHistoryMessage => ({
      seq: `${log.epoch}.${kept.n}`,
      event: kept.event,
      data: kept.data,
    });
    const newest = log.items.at(-1);
    const seq = newest ? `${log.epoch}.${newest.n}` : '';
    if (query.since === undefined) {
      return { messages: log.items.slice(-limit).map(toMessage), complete: true, seq };
    }
    const since = parseSeq(query.since);
    const after = since ? Number(since.offset) : NaN;
    const complete =
      since?.epoch === log.epoch &&
      Number.isInteger(after) &&
      after >= log.dropped &&
      after < log.next;
    const messages = complete ? log.items.filter((kept) => kept.n > after).slice(0, limit) : [];
    return { messages: messages.map(toMessage), complete, seq };
  }

  async size(channel: string, options: KwsChannelHistoryOptions): Promise<number> {
    const log = this.logs.get(channel);
    if (!log) return 0;
    this.trim(log, options);
    return log.items.length;
  }

  private trim(log: Log, { size, ttl }: KwsChannelHistoryOptions): void {
    const oldest = ttl === undefined ? -Infinity : Date.now() - ttl;
    let cut = 0;
    while (
      cut < log.items.length &&
      ((size !== undefined && log.items.length - cut > size) || log.items[cut].at < oldest)
    ) {
      cut++;
    }
    if (cut === 0) return;
    log.dropped = log.items[cut - 1].n;
    log.items = log.items.slice(cut);
  }
}
