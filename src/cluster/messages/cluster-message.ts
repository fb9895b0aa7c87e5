/**
 * Version of the cluster wire format, the first byte of every message. A node refuses (and logs)
 * a message of another version rather than misread it: bump it on any change of the layout.
 */
export const CLUSTER_PROTOCOL_VERSION = 2;

/** How a node answered a request (one byte of a `Reply`). */
export const ReplyStatus = {
  /** Delivered (or closed). */
  Ok: 0,
  /** The node holds no live connection with that uuid. */
  Unknown: 1,
  /** The connection is live but the message was dropped (slow consumer). */
  Dropped: 2,
  /** Request: the client did not acknowledge in time. */
  Timeout: 3,
  /** Request: the client acknowledged with an error (`data`: JSON `{ message, status }`). */
  AckError: 4,
  /** Request: it failed on the holding node (`data`: the error message). */
  Failed: 5,
} as const;
export type ReplyStatus = (typeof ReplyStatus)[keyof typeof ReplyStatus];

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
  /** Broadcast channel: the node is leaving cleanly (the others stop expecting it). */
  Leave: 8,
  /**
   * Node channel: send a named event to one uuid and reply with the client's acknowledgement
   * (`packet`: JSON `{ event, data }`; the reply's `data`: the JSON of the ack's data).
   */
  Request: 9,
  /** Node channel: add one uuid to rooms and reply (Unknown when it is not held here). */
  RoomJoin: 10,
  /** Node channel: remove one uuid from rooms and reply. */
  RoomLeave: 11,
} as const;

/**
 * The publisher's numbering of a message sent without an answer (broadcast channel or a room's
 * channel): receivers find the ones they missed (see `PublishSequencer`, `GapDetector`).
 */
export interface Sequenced {
  origin: string;
  epoch: number;
  seq: number;
}

export type ClusterMessage =
  | ({ type: 1; except: string; room: string; binary: boolean; data: Buffer } & Sequenced)
  | ({ type: 2; event: string; data: Buffer } & Sequenced)
  | ({ type: 3; code: number; reason: string } & Sequenced)
  | { type: 4; id: number; replyTo: string; uuid: string; binary: boolean; data: Buffer }
  | { type: 5; id: number; replyTo: string; uuids: string[]; binary: boolean; data: Buffer }
  | { type: 6; id: number; replyTo: string; uuid: string; code: number; reason: string }
  | { type: 7; id: number; status: ReplyStatus; uuids: string[]; data: Buffer }
  | { type: 8; origin: string }
  | { type: 9; id: number; replyTo: string; uuid: string; timeoutMs: number; packet: Buffer }
  | { type: 10 | 11; id: number; replyTo: string; uuid: string; rooms: string[] };

/** A request that expects a `Reply` on the sender's node channel. */
export type ClusterRequest = Extract<ClusterMessage, { replyTo: string }>;
