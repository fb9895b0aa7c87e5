import type { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { KwsError } from '../errors/kws.error.js';
import { PROMETHEUS_NAME_TAKEN } from '../kws.messages.js';
import type { KwsTimers } from './kws.stats.js';
import type { KwsStatsSnapshot } from './kws-stats.interface.js';
import type { PromClientModule } from './prom-client.loader.js';

/** One endpoint as the collectors see it; its figures go under the `endpoint` label. */
export interface KwsMetricsSource {
  readonly endpoint: string;
  snapshot(): KwsStatsSnapshot;
}

type Labels = Record<string, string>;
/** One metric's values in a snapshot: a number, labelled numbers, or nothing (not applicable). */
type Read = (s: KwsStatsSnapshot) => number | Array<[Labels, number]> | undefined;

interface Definition {
  name: string;
  help: string;
  kind: 'counter' | 'gauge';
  labels?: string[];
  read: Read;
}

const ready = (yes: boolean): number => (yes ? 1 : 0);

// Labels stay bounded: endpoint names come from the app, statuses from the upgrade gate,
// event names (histograms) from the listener registry. Nothing a client sends becomes a label.
const DEFINITIONS: Definition[] = [
  gauge('connections', 'Open WebSocket connections on this node', (s) => s.connections),
  gauge(
    'pending_requests',
    'Requests waiting for an acknowledgement (a client) or a reply (another node)',
    (s) => s.pendingRequests,
  ),
  counter('upgrades_accepted_total', 'WebSocket upgrades accepted', (s) => s.upgrades.accepted),
  {
    ...counter('upgrades_refused_total', 'WebSocket upgrades refused, by HTTP status', (s) =>
      Object.entries(s.upgrades.refused).map(([status, n]) => [{ status }, n]),
    ),
    labels: ['status'],
  },
  counter('messages_received_total', 'Data frames received', (s) => s.messages.in),
  counter('received_bytes_total', 'Payload bytes received', (s) => s.bytes.in),
  counter('messages_sent_total', 'Messages written, one per recipient', (s) => s.messages.out),
  counter('sent_bytes_total', 'Payload bytes written, per recipient', (s) => s.bytes.out),
  counter(
    'slow_consumer_drops_total',
    'Messages discarded for a peer that does not read',
    (s) => s.slowConsumer.drops,
  ),
  counter(
    'slow_consumer_kills_total',
    'Peers terminated for not reading',
    (s) => s.slowConsumer.kills,
  ),
  counter(
    'heartbeat_timeouts_total',
    'Peers terminated for not answering the heartbeat',
    (s) => s.heartbeatTimeouts,
  ),
  counter('listener_errors_total', 'Listeners that threw or rejected', (s) => s.listenerErrors),
  counter('rate_limit_drops_total', 'Messages dropped by rateLimit', (s) => s.rateLimit.drops),
  counter(
    'rate_limit_closes_total',
    'Connections closed (1008) by rateLimit',
    (s) => s.rateLimit.closes,
  ),
  counter(
    'in_flight_drops_total',
    'Client messages dropped by maxInFlight',
    (s) => s.inFlightDrops,
  ),
  gauge('cluster_nodes', 'Live nodes as of the last heartbeat', (s) => s.cluster?.nodes),
  gauge('cluster_registered', 'This node is registered in the cluster (1) or not (0)', (s) =>
    s.cluster ? ready(s.cluster.registered) : undefined,
  ),
  {
    ...gauge(
      'cluster_redis_ready',
      'A Redis connection of this node is ready (1) or not (0)',
      (s) =>
        s.cluster
          ? [
              [{ connection: 'commands' }, ready(s.cluster.redis.commands)],
              [{ connection: 'subscriber' }, ready(s.cluster.redis.subscriber)],
            ]
          : undefined,
    ),
    labels: ['connection'],
  },
  gauge(
    'cluster_redis_round_trip_seconds',
    'How long the last heartbeat took to come back from Redis',
    (s) =>
      s.cluster?.redisRoundTripMs === undefined ? undefined : s.cluster.redisRoundTripMs / 1000,
  ),
  counter(
    'cluster_publish_failures_total',
    'Cross-node publishes that failed',
    (s) => s.cluster?.publishFailures,
  ),
  counter(
    'cluster_subscription_losses_total',
    'Times this node lost its cluster subscription',
    (s) => s.cluster?.subscriptionLosses,
  ),
  counter(
    'cluster_rejoins_total',
    'Times this node (re)joined the cluster',
    (s) => s.cluster?.rejoins,
  ),
  counter(
    'cluster_unreadable_messages_total',
    'Cluster messages refused as unreadable',
    (s) => s.cluster?.unreadableMessages,
  ),
  counter(
    'cluster_missed_messages_total',
    "Other nodes' broadcasts this node never received although their publish succeeded",
    (s) => s.cluster?.missedMessages,
  ),
  counter(
    'cluster_route_failures_total',
    'Routed cross-node calls that failed',
    (s) => s.cluster?.routeFailures,
  ),
];

/** Default buckets (seconds): listeners and acks are expected in the sub-millisecond to second range. */
const DEFAULT_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

const shared = new WeakMap<object, Map<string, KwsPrometheusMetrics>>();

/**
 * The nestjs-kws metrics of one registry (and prefix), shared by every endpoint registering into
 * it (several endpoints in an app, several apps in a process): each endpoint is a source under its
 * own `endpoint` label. Counters and gauges are read from the sources at scrape time, so counting
 * costs nothing more with Prometheus on; only the two histograms are observed as things happen.
 */
export class KwsPrometheusMetrics {
  private readonly sources = new Set<KwsMetricsSource>();
  private readonly names: string[] = [];
  private readonly listenerDuration: Histogram<string>;
  private readonly ackLatency: Histogram<string>;
  private snapshots: Map<KwsMetricsSource, KwsStatsSnapshot> | undefined;

  private constructor(
    client: PromClientModule,
    private readonly registry: Registry,
    private readonly prefix: string,
    buckets: number[],
  ) {
    for (const definition of DEFINITIONS) this.define(client, definition);
    const histogram = (name: string, help: string): Histogram<string> => {
      this.claim(name);
      return new client.Histogram({
        name: prefix + name,
        help,
        labelNames: ['endpoint', 'event'],
        buckets,
        registers: [registry],
      });
    };
    this.listenerDuration = histogram(
      'listener_duration_seconds',
      'How long listeners of an event ran (until their promise settled)',
    );
    this.ackLatency = histogram(
      'ack_latency_seconds',
      'From an event packet with an id to the outcome of its acknowledgement',
    );
  }

  /** The metrics of `registry` under `prefix`, registered on first use. */
  static of(
    client: PromClientModule,
    registry: Registry,
    prefix: string,
    buckets = DEFAULT_BUCKETS,
  ): KwsPrometheusMetrics {
    let byPrefix = shared.get(registry);
    if (!byPrefix) shared.set(registry, (byPrefix = new Map()));
    let metrics = byPrefix.get(prefix);
    if (!metrics)
      byPrefix.set(prefix, (metrics = new KwsPrometheusMetrics(client, registry, prefix, buckets)));
    return metrics;
  }

  add(source: KwsMetricsSource): KwsTimers {
    this.sources.add(source);
    const listener = this.observer(this.listenerDuration, source.endpoint);
    const ack = this.observer(this.ackLatency, source.endpoint);
    return { listener, ack };
  }

  /** Removes a source; the last one out unregisters every metric (an app closed, tests). */
  remove(source: KwsMetricsSource): void {
    this.sources.delete(source);
    if (this.sources.size > 0) return;
    for (const name of this.names) this.registry.removeSingleMetric(name);
    shared.get(this.registry)?.delete(this.prefix);
  }

  /** A histogram observer for one endpoint; children are cached per event (labels hashed once). */
  private observer(
    histogram: Histogram<string>,
    endpoint: string,
  ): (event: string, s: number) => void {
    const children = new Map<string, Histogram.Internal<string>>();
    return (event, seconds) => {
      let child = children.get(event);
      if (!child) children.set(event, (child = histogram.labels({ endpoint, event })));
      child.observe(seconds);
    };
  }

  private define(
    client: PromClientModule,
    { name, help, kind, labels = [], read }: Definition,
  ): void {
    this.claim(name);
    // Runs at scrape time: the values are rebuilt from the sources' snapshots.
    const fill = (metric: Counter<string> | Gauge<string>): void => {
      metric.reset();
      for (const [source, snapshot] of this.current()) {
        const value = read(snapshot);
        if (value === undefined) continue;
        const rows: Array<[Labels, number]> = typeof value === 'number' ? [[{}, value]] : value;
        // `inc` adds up: two apps with the same endpoint name in one process are summed.
        for (const [extra, n] of rows) metric.inc({ endpoint: source.endpoint, ...extra }, n);
      }
    };
    const config = {
      name: this.prefix + name,
      help,
      labelNames: ['endpoint', ...labels],
      registers: [this.registry],
      collect(this: Counter<string> | Gauge<string>) {
        fill(this);
      },
    };
    if (kind === 'counter') new client.Counter(config);
    else new client.Gauge(config);
  }

  /** Refuses a name someone else registered, with a hint, rather than prom-client's bare error. */
  private claim(name: string): void {
    const full = this.prefix + name;
    if (this.registry.getSingleMetric(full)) throw new KwsError(PROMETHEUS_NAME_TAKEN(full));
    this.names.push(full);
  }

  /** One snapshot per source per scrape: every metric's collect runs in the same tick. */
  private current(): Map<KwsMetricsSource, KwsStatsSnapshot> {
    if (!this.snapshots) {
      this.snapshots = new Map(Array.from(this.sources, (source) => [source, source.snapshot()]));
      queueMicrotask(() => (this.snapshots = undefined));
    }
    return this.snapshots;
  }
}

function counter(name: string, help: string, read: Read): Definition {
  return { name, help, kind: 'counter', read };
}

function gauge(name: string, help: string, read: Read): Definition {
  return { name, help, kind: 'gauge', read };
}
