import type { ReplyStatus } from './messages/cluster-message.js';

/**
 * One node's answer to a request: `uuids` are those a DeliverList reached, `data` what a Request
 * got back.
 */
export interface NodeReply {
  status: ReplyStatus;
  uuids: string[];
  data: Buffer;
}

interface Pending {
  replies: NodeReply[];
  /** How many nodes will answer; unknown until Redis said where the request went. */
  expected: number | undefined;
  resolve(replies: NodeReply[]): void;
  timer: NodeJS.Timeout;
}

/**
 * Requests this node sent to other nodes, waiting for their replies. One request may go to several
 * nodes (emitToList); it settles when all answered, or at the timeout with the replies it has
 * (a node that died or stopped listening never answers), so no call hangs.
 */
export class PendingRequests {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  constructor(private readonly timeoutMs: number) {}

  /** Requests waiting for replies. */
  get size(): number {
    return this.pending.size;
  }

  /** A fresh request id and the promise of its replies (`timeoutMs`: instead of the default). */
  open(
    expected?: number,
    timeoutMs = this.timeoutMs,
  ): { id: number; replies: Promise<NodeReply[]> } {
    const id = this.nextId;
    this.nextId = this.nextId >= 0xffffffff ? 1 : this.nextId + 1;
    const replies = new Promise<NodeReply[]>((resolve) => {
      const timer = setTimeout(() => this.finish(id), timeoutMs);
      this.pending.set(id, { replies: [], expected, resolve, timer });
    });
    return { id, replies };
  }

  /** Sets how many replies the request waits for (it may already have them). */
  expect(id: number, count: number): void {
    const pending = this.pending.get(id);
    if (!pending) return;
    pending.expected = count;
    if (pending.replies.length >= count) this.finish(id);
  }

  /** Records a reply; an unknown id (late reply, already timed out) is ignored. */
  settle(id: number, reply: NodeReply): void {
    const pending = this.pending.get(id);
    if (!pending) return;
    pending.replies.push(reply);
    if (pending.expected !== undefined && pending.replies.length >= pending.expected) {
      this.finish(id);
    }
  }

  /** Settles a request now with the replies it has (none when it could not be sent). */
  finish(id: number): void {
    const pending = this.pending.get(id);
    if (!pending) return;
    this.pending.delete(id);
    clearTimeout(pending.timer);
    pending.resolve(pending.replies);
  }

  /** Settles every open request (the node is stopping). */
  finishAll(): void {
    for (const id of this.pending.keys()) this.finish(id);
  }
}
