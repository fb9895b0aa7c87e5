import type { Redis } from 'ioredis';
import * as scripts from './directory.scripts.js';

/** uuids per CLAIM_ALL call, so a rejoin with many connections never blocks Redis for long. */
const CLAIM_BATCH = 1_000;

type Script = keyof typeof SCRIPTS;
const SCRIPTS = {
  kwsJoin: scripts.JOIN,
  kwsClaimAll: scripts.CLAIM_ALL,
  kwsRename: scripts.RENAME,
  kwsRelease: scripts.RELEASE,
  kwsHeartbeat: scripts.HEARTBEAT,
  kwsLeave: scripts.LEAVE,
  kwsRoute: scripts.ROUTE,
  kwsRouteList: scripts.ROUTE_LIST,
  kwsCount: scripts.COUNT,
} as const;

/**
 * The cluster-wide directory of connections (uuid -> node) and the liveness of nodes, as seen
 * by one node. Every method is one Redis round trip (one atomic script).
 */
export class ConnectionDirectory {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    readonly node: string,
    private readonly nodeTtl: number,
  ) {
    for (const [name, lua] of Object.entries(SCRIPTS)) {
      redis.defineCommand(name, { numberOfKeys: 0, lua });
    }
  }

  /** Channel every node listens to. */
  get broadcastChannel(): string {
    return `${this.prefix}:broadcast`;
  }

  /** Channel of one node (requests to it, replies to its requests). */
  nodeChannel(node: string = this.node): string {
    return `${this.prefix}:node:${node}`;
  }

  /**
   * (Re)joins with the given local uuids; resolves with those a live node claimed meanwhile.
   * Every command is sent in the same tick, so a register or release issued later lands after.
   */
  async join(uuids: readonly string[]): Promise<string[]> {
    const first = uuids.slice(0, CLAIM_BATCH);
    const sent: Promise<unknown>[] = [this.run('kwsJoin', this.node, this.nodeTtl, ...first)];
    for (let start = CLAIM_BATCH; start < uuids.length; start += CLAIM_BATCH) {
      sent.push(this.run('kwsClaimAll', this.node, ...uuids.slice(start, start + CLAIM_BATCH)));
    }
    return ((await Promise.all(sent)) as string[][]).flat();
  }

  /** Refreshes this node's liveness; false when it had expired (the node must rejoin). */
  async heartbeat(): Promise<boolean> {
    return (await this.run('kwsHeartbeat', this.node, this.nodeTtl)) === 1;
  }

  async leave(): Promise<void> {
    await this.run('kwsLeave', this.node);
  }

  async register(uuid: string): Promise<void> {
    await this.run('kwsClaimAll', this.node, uuid);
  }

  async release(uuid: string): Promise<void> {
    await this.run('kwsRelease', this.node, uuid);
  }

  /** Claims `to` and releases `from` in one step; false when a live node holds `to`. */
  async rename(from: string, to: string): Promise<boolean> {
    return (await this.run('kwsRename', this.node, from, to)) === 1;
  }

  /** Publishes `message` to the node holding `uuid`; false when no live node holds it. */
  async route(uuid: string, message: Buffer): Promise<boolean> {
    return ((await this.run('kwsRoute', uuid, message)) as number) > 0;
  }

  /**
   * Publishes `message` once to each live node holding one of `uuids`; resolves with the node of
   * each uuid ('' when none).
   */
  async routeList(uuids: readonly string[], message: Buffer): Promise<string[]> {
    return (await this.run('kwsRouteList', message, ...uuids)) as string[];
  }

  async count(): Promise<number> {
    return (await this.run('kwsCount')) as number;
  }

  async publish(channel: string, message: Buffer): Promise<number> {
    return this.redis.publish(channel, message);
  }

  private run(script: Script, ...args: Array<string | number | Buffer>): Promise<unknown> {
    const command = (
      this.redis as unknown as Record<Script, (...a: unknown[]) => Promise<unknown>>
    )[script];
    return command.call(this.redis, this.prefix, ...args);
  }
}
