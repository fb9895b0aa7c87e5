/** How a request to another node ended: `failed` lists the uuids it could not reach. */
export interface RequestOutcome {
  ok: boolean;
  failed: string[];
}

interface Pending {
  resolve(outcome: RequestOutcome): void;
  timer: NodeJS.Timeout;
}

/**
 * Requests this node sent to other nodes, waiting for their reply. A request unanswered within
 * the timeout settles as a failure (its node died or stopped listening), so no call hangs.
 */
export class PendingRequests {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  constructor(private readonly timeoutMs: number) {}

  /** A fresh request id and the promise of its outcome. */
  open(): { id: number; outcome: Promise<RequestOutcome> } {
    const id = this.nextId;
    this.nextId = this.nextId >= 0xffffffff ? 1 : this.nextId + 1;
    const outcome = new Promise<RequestOutcome>((resolve) => {
      const timer = setTimeout(() => this.settle(id, { ok: false, failed: [] }), this.timeoutMs);
      this.pending.set(id, { resolve, timer });
    });
    return { id, outcome };
  }

  /** Settles a request; an unknown id (late reply, already timed out) is ignored. */
  settle(id: number, outcome: RequestOutcome): void {
    const pending = this.pending.get(id);
    if (!pending) return;
    this.pending.delete(id);
    clearTimeout(pending.timer);
    pending.resolve(outcome);
  }

  /** Settles every open request as a failure (the node is stopping). */
  failAll(): void {
    for (const id of this.pending.keys()) this.settle(id, { ok: false, failed: [] });
  }
}
