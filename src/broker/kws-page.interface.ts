/** Where a paged read of rooms or room members starts, and how much one page may hold. */
export interface KwsPageQuery {
  /** The `cursor` of the previous page; absent or '' starts a walk. */
  cursor?: string;
  /** At most this many items in the page: an integer from 1 to 1,000 (default 250). */
  count?: number;
}

/** One page of a walk over rooms or room members (`KwsServer.roomsPage`/`roomMembersPage`). */
export interface KwsPage {
  /** At most `count` entries; may be empty before the end (pass the cursor on). */
  items: string[];
  /**
   * Opaque: pass it back as `cursor` for the next page; '' when the walk is over. Safe to hand to a
   * client and take back: a forged or stale one is refused with a `KwsError`.
   */
  cursor: string;
}

/** Options of `KwsServer.eachRoom` and `eachRoomMember`. */
export interface KwsWalkOptions {
  /** Entries read per page (1 to 1,000, default 250). */
  count?: number;
}
