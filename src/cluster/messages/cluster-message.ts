/** What nodes say to each other over Redis pub/sub. */
export const ClusterMessageType = {
  /** Broadcast channel: deliver to every local connection (of `room`, if not '') but `except`. */
  Broadcast: 1,
  /** Broadcast channel: run the listeners of `event` for every local connection. */
  Fire: 2,
  /** Broadcast channel: close every local connection. */
  CloseAll: 3,
  /** Node channel: deliver to one uuid and reply. */
  Deliver: 4,
  /** Node channel: deliver to those of the uuids held here and reply with the ones reached. */
  DeliverList: 5,
  /** Node channel: close one uuid and reply. */
  Close: 6,
  /** Node channel: the answer to a request (`uuids`: those a DeliverList reached). */
  Reply: 7,
} as const;

export type ClusterMessage =
  | { type: 1; origin: string; except: string; room: string; binary: boolean; data: Buffer }
  | { type: 2; origin: string; event: string; data: Buffer }
  | { type: 3; origin: string; code: number; reason: string }
  | { type: 4; id: number; replyTo: string; uuid: string; binary: boolean; data: Buffer }
  | { type: 5; id: number; replyTo: string; uuids: string[]; binary: boolean; data: Buffer }
  | { type: 6; id: number; replyTo: string; uuid: string; code: number; reason: string }
  | { type: 7; id: number; ok: boolean; uuids: string[] };

/** A request that expects a `Reply` on the sender's node channel. */
export type ClusterRequest = Extract<ClusterMessage, { replyTo: string }>;
