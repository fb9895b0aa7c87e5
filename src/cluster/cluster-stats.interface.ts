/** What a node counts of its cluster link (`KwsRedisBroker.stats`). */
export interface KwsClusterStats {
  /** Times the subscription was lost (connection dropped, or Redis dropped it). */
  subscriptionLosses: number;
  /** Cluster messages refused as unreadable (another protocol version). */
  unreadableMessages: number;
  /** Rejoins: after a reconnect, an expired liveness, or a re-sync. */
  rejoins: number;
  /** Gaps found: runs of numbered messages (broadcast, fire, closeAll) that never arrived. */
  gaps: number;
  /** Messages missed in those gaps, although their publish succeeded. */
  missedMessages: number;
}
