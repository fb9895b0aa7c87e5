/** One meta as clients and `list` see it: the app's object plus `kws_ref`, unique per track. */
export type KwsPresenceMeta<T extends object = Record<string, unknown>> = T & { kws_ref: string };

/** The presence of a channel: one entry per key (usually the user id), one meta per connection. */
export type KwsPresenceState<T extends object = Record<string, unknown>> = Record<
  string,
  { metas: KwsPresenceMeta<T>[] }
>;

/** What changed in a channel's presence since the last diff (Phoenix's `presence_diff`). */
export interface KwsPresenceDiff<T extends object = Record<string, unknown>> {
  joins: KwsPresenceState<T>;
  leaves: KwsPresenceState<T>;
}
