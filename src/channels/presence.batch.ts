import type { KwsPresenceDiff, KwsPresenceMeta } from './presence.types.js';

/**
 * The changes of one channel's presence not yet sent. A meta that joins and leaves within one
 * batch cancels out, so a client never sees a leave before the join it cancels (nor either).
 */
export class PresenceBatch {
  private readonly joins = new Map<string, KwsPresenceMeta<object>>();
  private readonly leaves = new Map<string, KwsPresenceMeta<object>>();
  /** ref -> key */
  private readonly keys = new Map<string, string>();

  get empty(): boolean {
    return this.joins.size === 0 && this.leaves.size === 0;
  }

  join(key: string, meta: KwsPresenceMeta<object>): void {
    this.keys.set(meta.kws_ref, key);
    this.joins.set(meta.kws_ref, meta);
  }

  leave(key: string, meta: KwsPresenceMeta<object>): void {
    if (this.joins.delete(meta.kws_ref)) return;
    this.keys.set(meta.kws_ref, key);
    this.leaves.set(meta.kws_ref, meta);
  }

  diff(): KwsPresenceDiff<object> {
    return { joins: this.group(this.joins), leaves: this.group(this.leaves) };
  }

  private group(metas: Map<string, KwsPresenceMeta<object>>): KwsPresenceDiff<object>['joins'] {
    const grouped: KwsPresenceDiff<object>['joins'] = {};
    for (const [ref, meta] of metas) {
      const key = this.keys.get(ref)!;
      (grouped[key] ??= { metas: [] }).metas.push(meta);
    }
    return grouped;
  }
}
