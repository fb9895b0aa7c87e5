import { describeKws, type KwsConnectionDescription } from '../connection/kws.description.js';
import { KwsError } from '../errors/kws.error.js';
import { KwsInvalidConnectionError } from '../errors/kws-invalid-connection.error.js';
import { INSPECTOR_BAD_REQUEST } from '../kws.messages.js';
import type { KwsBroker } from '../broker/kws-broker.interface.js';
import type { KwsServer } from '../server/kws.server.js';
import { CHANNEL_ROOM_PREFIX } from '../channels/channel.constants.js';
import { clusterTotal, type KwsInspectorNodeSeries } from './cluster.series.js';
import type { KwsInspectorChannels } from './inspector.channels.js';
import { decodeSample, type KwsInspectorSample } from './stats.history.js';
import type { KwsStatsSampler } from './stats.sampler.js';

/** Rooms listed (with their sizes) and local connections listed, at most. */
export const INSPECTOR_ROOMS_SHOWN = 100;
export const INSPECTOR_CONNECTIONS_SHOWN = 200;

/** What a JSON endpoint of the inspector answers: a status and a body. */
export interface InspectorReply {
  status: number;
  body: unknown;
}

/**
 * @internal The inspector's JSON views and actions over `KwsServer`: the same figures
 * `stats()`, `count()`, `rooms()` and `roomSize()` give the app, cluster-wide where they are.
 */
export class KwsInspectorView {
  constructor(
    private readonly server: KwsServer,
    private readonly sampler: KwsStatsSampler,
    private readonly broker: KwsBroker,
    private readonly channels: KwsInspectorChannels,
  ) {}

  /**
   * Connections (this node, per node, in total), rooms and their sizes, channels, counters, chart
   * samples (this node's, and in cluster mode every live node's and their total).
   */
  async state(): Promise<InspectorReply> {
    const stats = this.server.stats();
    const [total, allRooms, perNode] = await Promise.all([
      this.server.count(),
      this.server.rooms(),
      this.broker.nodeCounts?.(),
    ]);
    allRooms.sort();
    // Channels are rooms `ch:<name>`: listed in their own card, not among the app's rooms.
    const rooms = allRooms.filter((room) => !room.startsWith(CHANNEL_ROOM_PREFIX));
    const shown = rooms.slice(0, INSPECTOR_ROOMS_SHOWN);
    const [sizes, channels, series] = await Promise.all([
      Promise.all(shown.map((room) => this.server.roomSize(room))),
      this.channels.summary(allRooms),
      perNode ? this.series(Object.keys(perNode), stats.cluster?.nodeId) : null,
    ]);
    const connections = [];
    for (const kws of this.server.connections()) {
      if (connections.length === INSPECTOR_CONNECTIONS_SHOWN) break;
      connections.push({ uuid: kws.uuid, rooms: kws.rooms().length });
    }
    return {
      status: 200,
      body: {
        at: Date.now(),
        node: stats.cluster?.nodeId ?? null,
        nodes: stats.cluster?.nodes ?? 1,
        connections: { here: stats.connections, total },
        // Cluster mode: every live node's connections (one Redis call per shard).
        perNode: perNode
          ? Object.entries(perNode)
              .sort(([a], [b]) => a.localeCompare(b))
              .map(([node, connections]) => ({ node, connections }))
          : null,
        rooms: { count: rooms.length, shown: shown.map((name, i) => ({ name, size: sizes[i] })) },
        channels,
        local: connections,
        stats,
        interval: this.sampler.interval,
        samples: this.sampler.history.samples(),
        series,
      },
    };
  }

  /**
   * Cluster mode: every live node's samples (this node's from memory, the others' from Redis in
   * one pipeline) and their total per tick.
   */
  private async series(
    nodes: string[],
    self: string | undefined,
  ): Promise<{ total: KwsInspectorSample[]; nodes: KwsInspectorNodeSeries[] } | null> {
    if (!this.broker.nodeSamples) return null;
    const others = nodes.filter((node) => node !== self);
    const shared = await this.broker.nodeSamples(others);
    const series: KwsInspectorNodeSeries[] = others.map((node) => ({
      node,
      samples: (shared[node] ?? []).flatMap((text) => decodeSample(text) ?? []),
    }));
    if (self !== undefined) series.push({ node: self, samples: this.sampler.history.samples() });
    series.sort((a, b) => a.node.localeCompare(b.node));
    return { total: clusterTotal(series, this.sampler.interval), nodes: series };
  }

  /**
   * One connection's rooms and attributes: from this node, or in cluster mode from the node that
   * holds it (one request over Redis, as `KwsServer.leave` makes).
   */
  async connection(uuid: string | null): Promise<InspectorReply> {
    if (!uuid) return bad('the query needs a "uuid"');
    const kws = this.server.get(uuid);
    const node = this.server.stats().cluster?.nodeId ?? null;
    if (kws?.isAlive()) return { status: 200, body: withChannels(describeKws(kws, node)) };
    if (!this.broker.describe) {
      return { status: 404, body: { message: new KwsInvalidConnectionError(uuid).message } };
    }
    const describe = this.broker.describe.bind(this.broker);
    let found: KwsConnectionDescription | undefined;
    const failed = await this.act(async () => {
      found = await describe(uuid);
    });
    return found ? { status: 200, body: withChannels(found) } : failed;
  }

  /** Closes a connection wherever it lives (as `KwsServer.close`). */
  async close(body: Record<string, unknown>): Promise<InspectorReply> {
    const uuid = body.uuid;
    if (typeof uuid !== 'string' || uuid === '') return bad('"uuid" must be a non-empty string');
    return this.act(() => this.server.close(uuid, 1000, 'Closed by the inspector'));
  }

  /** Makes a connection leave a room wherever it lives (as `KwsServer.leave`). */
  async leave(body: Record<string, unknown>): Promise<InspectorReply> {
    const { uuid, room } = body;
    if (typeof uuid !== 'string' || uuid === '') return bad('"uuid" must be a non-empty string');
    if (typeof room !== 'string') return bad('"room" must be a string');
    return this.act(() => this.server.leave(uuid, room));
  }

  private async act(action: () => Promise<void>): Promise<InspectorReply> {
    try {
      await action();
      return { status: 200, body: { ok: true } };
    } catch (error) {
      if (error instanceof KwsInvalidConnectionError) {
        return { status: 404, body: { message: error.message } };
      }
      if (error instanceof KwsError && error.constructor === KwsError) {
        return { status: 400, body: { message: error.message } };
      }
      // Cluster unavailable, outcome unknown...: the action may not have happened.
      const message = error instanceof Error ? error.message : String(error);
      return { status: 503, body: { message } };
    }
  }
}

/** A description with its channels apart from its rooms (a channel is the room `ch:<name>`). */
function withChannels(
  description: KwsConnectionDescription,
): KwsConnectionDescription & { channels: string[] } {
  const rooms: string[] = [];
  const channels: string[] = [];
  for (const room of description.rooms) {
    if (room.startsWith(CHANNEL_ROOM_PREFIX)) channels.push(room.slice(CHANNEL_ROOM_PREFIX.length));
    else rooms.push(room);
  }
  return { ...description, rooms, channels };
}

function bad(what: string): InspectorReply {
  return { status: 400, body: { message: INSPECTOR_BAD_REQUEST(what) } };
}
