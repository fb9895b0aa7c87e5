import { randomBytes } from 'node:crypto';
import type { Kws } from '../connection/kws.js';
import { KwsError } from '../errors/kws.error.js';
import {
  PRESENCE_BAD_KEY,
  PRESENCE_META_NOT_OBJECT,
  PRESENCE_META_TOO_BIG,
  PRESENCE_NOT_A_MEMBER,
} from '../kws.messages.js';
import { PresenceBatch } from './presence.batch.js';
import type { KwsPresenceDiff, KwsPresenceMeta, KwsPresenceState } from './presence.types.js';

/** Longest presence key (a user id, usually), in characters. */
const MAX_PRESENCE_KEY_LENGTH = 256;

/** @internal What presence needs from the channels it serves. */
export interface KwsPresenceHost {
  /** Whether the connection is in the channel, or its join handler is running. */
  mayTrack(kws: Kws, channel: string): boolean;
  /** Sends this node's batched diff of a channel to its members (every node in cluster mode). */
  publish(channel: string, diff: KwsPresenceDiff<object>): void;
  /** Sends another node's diff to this node's members of the channel. */
  pushLocal(channel: string, diff: KwsPresenceDiff<object>): void;
}

interface Entry {
  key: string;
  meta: KwsPresenceMeta<object>;
  /** The node holding the connection ('' for this node). */
  node: string;
  /** The session's uuid: a session moved to another node takes its entries along. */
  uuid: string;
  /** This node's connection, for its own entries. */
  kws?: Kws;
}

/** `[channel, key, meta, uuid]`: one entry as nodes exchange them. */
export type KwsPresenceRecord = [string, string, KwsPresenceMeta<object>, string];

/**
 * Presence with metadata, as Phoenix.Presence: the app tracks a connection of a channel under a
 * key (usually the user id) with a meta; several connections of one key collapse under it, one
 * meta each. Members get the state when they join and a diff (joins and leaves, with metas) per
 * batch afterwards. An entry follows the session: it goes with `untrack`, the connection's leave
 * of the channel or the end of its session, never with a suspended socket (recovery).
 */
export class KwsPresence {
  /** channel -> key -> ref -> entry */
  private readonly channels = new Map<string, Map<string, Map<string, Entry>>>();
  /** connection -> channel -> key -> ref: what each connection tracks. */
  private readonly tracked = new WeakMap<Kws, Map<string, Map<string, string>>>();
  private readonly pending = new Map<string, PresenceBatch>();
  private flushing: NodeJS.Immediate | undefined;
  private readonly refPrefix = randomBytes(6).toString('base64url');
  private lastRef = 0;

  /** @internal Built by `KwsChannels`. */
  constructor(
    private readonly host: KwsPresenceHost,
    private readonly maxMetaBytes: number,
  ) {}

  /**
   * Tracks `kws` in `channel` under `key` with `meta` (a JSON object of at most
   * `channels.maxMetaBytes`); the connection must be in the channel or in its join handler.
   * Tracking the same connection, channel and key again updates the meta. Returns the meta's ref.
   */
  track(kws: Kws, channel: string, key: string, meta: object = {}): string {
    if (typeof key !== 'string' || key.length === 0 || key.length > MAX_PRESENCE_KEY_LENGTH) {
      throw new KwsError(PRESENCE_BAD_KEY(MAX_PRESENCE_KEY_LENGTH));
    }
    if (!this.host.mayTrack(kws, channel)) throw new KwsError(PRESENCE_NOT_A_MEMBER(channel));
    const copy = this.copyMeta(meta);
    const refs = this.refsOf(kws, channel);
    const previous = refs.get(key);
    if (previous !== undefined) this.remove(channel, key, previous);
    const ref = `${this.refPrefix}.${(++this.lastRef).toString(36)}`;
    const entry: Entry = { key, meta: { ...copy, kws_ref: ref }, node: '', uuid: kws.uuid, kws };
    let keys = this.channels.get(channel);
    if (!keys) this.channels.set(channel, (keys = new Map()));
    let metas = keys.get(key);
    if (!metas) keys.set(key, (metas = new Map()));
    metas.set(ref, entry);
    refs.set(key, ref);
    this.batch(channel).join(key, entry.meta);
    return ref;
  }

  /** Replaces the meta of a tracked connection (members see a leave of the old, a join of the new). */
  update(kws: Kws, channel: string, key: string, meta: object): string {
    return this.track(kws, channel, key, meta);
  }

  /** Stops tracking `kws` in `channel` under `key` (every key when none is given). */
  untrack(kws: Kws, channel: string, key?: string): void {
    const refs = this.tracked.get(kws)?.get(channel);
    if (!refs) return;
    for (const [tracked, ref] of Array.from(refs)) {
      if (key !== undefined && tracked !== key) continue;
      refs.delete(tracked);
      this.remove(channel, tracked, ref);
    }
    if (refs.size === 0) this.tracked.get(kws)?.delete(channel);
  }

  /** The channel's presence now: every key with its metas (this node's view). */
  list<T extends object = Record<string, unknown>>(channel: string): KwsPresenceState<T> {
    const state: KwsPresenceState<object> = {};
    for (const [key, metas] of this.channels.get(channel) ?? []) {
      state[key] = { metas: Array.from(metas.values(), (entry) => entry.meta) };
    }
    return state as KwsPresenceState<T>;
  }

  /**
   * @internal The inspector's view of a channel's presence (this node's view, cluster-wide in
   * cluster mode): how many keys, and the first `maxKeys` (in the order they joined) with at
   * most `maxMetas` metas each and the count of the others. Copies nothing else.
   */
  inspect(
    channel: string,
    maxKeys: number,
    maxMetas: number,
  ): { keys: number; shown: { key: string; metas: KwsPresenceMeta<object>[]; more: number }[] } {
    const keys = this.channels.get(channel);
    const shown: { key: string; metas: KwsPresenceMeta<object>[]; more: number }[] = [];
    for (const [key, metas] of keys ?? []) {
      if (shown.length === maxKeys) break;
      const first: KwsPresenceMeta<object>[] = [];
      for (const entry of metas.values()) {
        if (first.length === maxMetas) break;
        first.push(entry.meta);
      }
      shown.push({ key, metas: first, more: metas.size - first.length });
    }
    return { keys: keys?.size ?? 0, shown };
  }

  /** @internal How many keys a channel's presence has (the inspector's figure). */
  keyCount(channel: string): number {
    return this.channels.get(channel)?.size ?? 0;
  }

  /** @internal The session uuid of an entry ('' when it is gone). */
  uuidOf(channel: string, key: string, ref: string): string {
    return this.channels.get(channel)?.get(key)?.get(ref)?.uuid ?? '';
  }

  /** @internal Sends the changes of `channel` (of every channel when none is given) now. */
  flush(channel?: string): void {
    if (channel !== undefined) {
      const batch = this.pending.get(channel);
      if (!batch) return;
      this.pending.delete(channel);
      if (!batch.empty) this.host.publish(channel, batch.diff());
      return;
    }
    if (this.flushing) clearImmediate(this.flushing);
    this.flushing = undefined;
    const batches = Array.from(this.pending);
    this.pending.clear();
    for (const [name, batch] of batches) if (!batch.empty) this.host.publish(name, batch.diff());
  }

  /** @internal Another node's changes of one channel (cluster mode); replaying one is a no-op. */
  apply(change: {
    c: string;
    j: [string, KwsPresenceMeta<object>, string][];
    l: [string, string][];
    n: string;
  }): void {
    const batch = new PresenceBatch();
    for (const [key, ref] of change.l) {
      const entry = this.channels.get(change.c)?.get(key)?.get(ref);
      if (entry && entry.node === change.n) this.drop(change.c, entry, batch);
    }
    for (const [key, meta, uuid] of change.j)
      this.add(change.c, { key, meta, node: change.n, uuid }, batch);
    if (!batch.empty) this.host.pushLocal(change.c, batch.diff());
  }

  /** @internal Replaces every entry of another node (`[]`: it died or left): one diff per channel. */
  replaceNode(node: string, records: KwsPresenceRecord[]): void {
    const batches = new Map<string, PresenceBatch>();
    const batchOf = (channel: string): PresenceBatch => {
      let batch = batches.get(channel);
      if (!batch) batches.set(channel, (batch = new PresenceBatch()));
      return batch;
    };
    const kept = new Set(records.map((record) => record[2].kws_ref));
    for (const [channel, keys] of Array.from(this.channels)) {
      for (const metas of Array.from(keys.values())) {
        for (const entry of Array.from(metas.values())) {
          if (entry.node === node && !kept.has(entry.meta.kws_ref)) {
            this.drop(channel, entry, batchOf(channel));
          }
        }
      }
    }
    for (const [channel, key, meta, uuid] of records) {
      this.add(channel, { key, meta, node, uuid }, batchOf(channel));
    }
    for (const [channel, batch] of batches)
      if (!batch.empty) this.host.pushLocal(channel, batch.diff());
  }

  /** @internal This node's own entries, as nodes exchange them. */
  localEntries(): KwsPresenceRecord[] {
    const records: KwsPresenceRecord[] = [];
    for (const [channel, keys] of this.channels) {
      for (const [key, metas] of keys) {
        for (const entry of metas.values())
          if (entry.node === '') records.push([channel, key, entry.meta, entry.uuid]);
      }
    }
    return records;
  }

  /**
   * @internal A session moved here from another node (recovery): its entries in `channel` become
   * this node's, with no diff (members see nothing: the session never ended). Returns them.
   */
  claim(kws: Kws, channel: string): KwsPresenceRecord[] {
    const claimed: KwsPresenceRecord[] = [];
    for (const [key, metas] of this.channels.get(channel) ?? []) {
      for (const entry of metas.values()) {
        if (entry.uuid !== kws.uuid || entry.node === '') continue;
        entry.node = '';
        entry.kws = kws;
        this.refsOf(kws, channel).set(key, entry.meta.kws_ref);
        claimed.push([channel, key, entry.meta, entry.uuid]);
      }
    }
    return claimed;
  }

  /**
   * @internal Another node claimed entries (a session moved there): they are that node's now, with
   * no diff. Returns the refs that were this node's (to drop from its own records).
   */
  movedTo(node: string, records: KwsPresenceRecord[]): string[] {
    const mine: string[] = [];
    const batch = new Map<string, PresenceBatch>();
    for (const [channel, key, meta, uuid] of records) {
      const entry = this.channels.get(channel)?.get(key)?.get(meta.kws_ref);
      if (!entry) {
        // Never seen here: for this node's members it is a join.
        let joins = batch.get(channel);
        if (!joins) batch.set(channel, (joins = new PresenceBatch()));
        this.add(channel, { key, meta, node, uuid }, joins);
        continue;
      }
      if (entry.node === '') {
        mine.push(meta.kws_ref);
        const refs = entry.kws && this.tracked.get(entry.kws)?.get(channel);
        if (refs?.get(key) === meta.kws_ref) refs.delete(key);
        entry.kws = undefined;
      }
      entry.node = node;
    }
    for (const [channel, joins] of batch)
      if (!joins.empty) this.host.pushLocal(channel, joins.diff());
    return mine;
  }

  /**
   * @internal The session moved to another node: its entries stay until that node claims them,
   * or for `ms` at most (then they leave, as for a session that ended).
   */
  park(kws: Kws, channel: string, ms: number): void {
    if (!this.tracked.get(kws)?.get(channel)?.size) return;
    setTimeout(() => this.untrack(kws, channel), ms).unref();
  }

  private add(channel: string, entry: Entry, batch: PresenceBatch): void {
    let keys = this.channels.get(channel);
    if (!keys) this.channels.set(channel, (keys = new Map()));
    let metas = keys.get(entry.key);
    if (!metas) keys.set(entry.key, (metas = new Map()));
    if (metas.has(entry.meta.kws_ref)) return;
    metas.set(entry.meta.kws_ref, entry);
    batch.join(entry.key, entry.meta);
  }

  private drop(channel: string, entry: Entry, batch: PresenceBatch): void {
    const keys = this.channels.get(channel)!;
    const metas = keys.get(entry.key)!;
    metas.delete(entry.meta.kws_ref);
    if (metas.size === 0) keys.delete(entry.key);
    if (keys.size === 0) this.channels.delete(channel);
    batch.leave(entry.key, entry.meta);
  }

  private remove(channel: string, key: string, ref: string): void {
    const keys = this.channels.get(channel);
    const metas = keys?.get(key);
    const entry = metas?.get(ref);
    if (!entry) return;
    metas!.delete(ref);
    if (metas!.size === 0) keys!.delete(key);
    if (keys!.size === 0) this.channels.delete(channel);
    this.batch(channel).leave(key, entry.meta);
  }

  private refsOf(kws: Kws, channel: string): Map<string, string> {
    let channels = this.tracked.get(kws);
    if (!channels) this.tracked.set(kws, (channels = new Map()));
    let refs = channels.get(channel);
    if (!refs) channels.set(channel, (refs = new Map()));
    return refs;
  }

  /** One batch per channel per turn of the event loop: N changes in a turn cost one diff. */
  private batch(channel: string): PresenceBatch {
    let batch = this.pending.get(channel);
    if (!batch) this.pending.set(channel, (batch = new PresenceBatch()));
    this.flushing ??= setImmediate(() => {
      this.flushing = undefined;
      this.flush();
    });
    return batch;
  }

  private copyMeta(meta: object): Record<string, unknown> {
    if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) {
      throw new KwsError(PRESENCE_META_NOT_OBJECT);
    }
    const json = JSON.stringify(meta);
    const bytes = Buffer.byteLength(json);
    if (bytes > this.maxMetaBytes)
      throw new KwsError(PRESENCE_META_TOO_BIG(bytes, this.maxMetaBytes));
    return JSON.parse(json) as Record<string, unknown>;
  }
}
