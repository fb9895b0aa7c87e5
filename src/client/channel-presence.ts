/** One meta of a presence entry: the app's object plus the server's `kws_ref`. */
export type KwsClientPresenceMeta = Record<string, any> & { kws_ref: string };

/** One key (usually a user) of a channel's presence, with one meta per connection. */
export interface KwsPresenceEntry {
  key: string;
  metas: KwsClientPresenceMeta[];
}

type State = Record<string, { metas: KwsClientPresenceMeta[] }>;

/**
 * The presence list of one channel, kept from the server's `kws:presence_state` and
 * `kws:presence_diff` pushes (Phoenix's `Presence.syncState`/`syncDiff`). A leave of a meta this
 * list does not hold is ignored; a join of one it holds is not added twice.
 */
export class KwsChannelPresence {
  private state = new Map<string, KwsClientPresenceMeta[]>();
  /** A state was received since the join (a later one is a re-sync). */
  private synced = false;
  private readonly syncs = new Set<(list: KwsPresenceEntry[]) => void>();
  private readonly joins = new Set<(key: string, metas: KwsClientPresenceMeta[]) => void>();
  private readonly leaves = new Set<(key: string, metas: KwsClientPresenceMeta[]) => void>();

  /** Every key with its metas, in the order keys first appeared. */
  list(): KwsPresenceEntry[] {
    return Array.from(this.state, ([key, metas]) => ({ key, metas: [...metas] }));
  }

  /** Calls `listener` with the list after every state and diff; returns a function that stops it. */
  onSync(listener: (list: KwsPresenceEntry[]) => void): () => void {
    return add(this.syncs, listener);
  }

  /** Calls `listener` with each key's newly joined metas. */
  onJoin(listener: (key: string, metas: KwsClientPresenceMeta[]) => void): () => void {
    return add(this.joins, listener);
  }

  /** Calls `listener` with each key's metas that left. */
  onLeave(listener: (key: string, metas: KwsClientPresenceMeta[]) => void): () => void {
    return add(this.leaves, listener);
  }

  /**
   * @internal The whole state: the first one of a join replaces the list; a later one (the
   * server sends it again after a resumed session) calls `onJoin` and `onLeave` with what changed
   * meanwhile only, so members present throughout see no leave and join.
   */
  syncState(state: State): void {
    const next = new Map<string, KwsClientPresenceMeta[]>();
    for (const key of Object.keys(state ?? {})) next.set(key, [...(state[key].metas ?? [])]);
    if (!this.synced) {
      this.synced = true;
      this.state = next;
      this.notify();
      return;
    }
    const joins: State = {};
    const leaves: State = {};
    for (const [key, metas] of next) {
      const held = this.state.get(key) ?? [];
      const fresh = metas.filter((m) => !held.some((o) => o.kws_ref === m.kws_ref));
      if (fresh.length) joins[key] = { metas: fresh };
    }
    for (const [key, held] of this.state) {
      const kept = next.get(key) ?? [];
      const gone = held.filter((m) => !kept.some((o) => o.kws_ref === m.kws_ref));
      if (gone.length) leaves[key] = { metas: gone };
    }
    this.syncDiff({ joins, leaves });
  }

  /** @internal */
  syncDiff(diff: { joins?: State; leaves?: State }): void {
    for (const [key, entry] of Object.entries(diff?.joins ?? {})) {
      const metas = this.state.get(key) ?? [];
      const fresh = (entry.metas ?? []).filter((m) => !metas.some((o) => o.kws_ref === m.kws_ref));
      if (fresh.length === 0) continue;
      this.state.set(key, [...metas, ...fresh]);
      for (const listener of this.joins) listener(key, fresh);
    }
    for (const [key, entry] of Object.entries(diff?.leaves ?? {})) {
      const metas = this.state.get(key);
      if (!metas) continue;
      const refs = (entry.metas ?? []).map((m) => m.kws_ref);
      const gone = metas.filter((m) => refs.includes(m.kws_ref));
      if (gone.length === 0) continue;
      const left = metas.filter((m) => !refs.includes(m.kws_ref));
      if (left.length) this.state.set(key, left);
      else this.state.delete(key);
      for (const listener of this.leaves) listener(key, gone);
    }
    this.notify();
  }

  /** @internal */
  clear(): void {
    this.state = new Map();
    this.synced = false;
  }

  private notify(): void {
    const list = this.list();
    for (const listener of this.syncs) listener(list);
  }
}

function add<T>(set: Set<T>, item: T): () => void {
  set.add(item);
  return () => set.delete(item);
}
