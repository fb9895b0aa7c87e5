/** What `KwsServer.stats()` returns: this node's figures at the moment of the call. */
export interface KwsStatsSnapshot {
  /** The endpoint accepts upgrades (its HTTP server listens; false before bootstrap and from shutdown). */
  listening: boolean;
  /** Open connections on this node. */
  connections: number;
  upgrades: {
    accepted: number;
    /** Refused upgrades by HTTP status (`{ 401: 3, 403: 1 }`). */
    refused: Record<number, number>;
  };
  /** Data frames received, and messages written (one per recipient: a broadcast to 100 is 100). */
  messages: { in: number; out: number };
  /** Payload bytes of those frames and messages. */
  bytes: { in: number; out: number };
  /** Messages discarded (`slowConsumer: 'drop'`) and peers terminated (`'close'`) for not reading. */
  slowConsumer: { drops: number; kills: number };
  /** Peers terminated for not answering the heartbeat. */
  heartbeatTimeouts: number;
  /** Listeners that threw or rejected (not counting Nest exceptions such as a guard's refusal). */
  listenerErrors: number;
  /** Messages dropped and connections closed by the `rateLimit` option. */
  rateLimit: { drops: number; closes: number };
  /** Client messages dropped because `maxInFlight` of their connection's were still in listeners. */
  inFlightDrops: number;
  /** Server requests waiting for a client's acknowledgement, plus (cluster) for another node. */
  pendingRequests: number;
  /** Cluster mode only. */
  cluster?: KwsClusterSnapshot;
}

/** The cluster part of `KwsStatsSnapshot`. */
export interface KwsClusterSnapshot {
  /** This node's id. */
  nodeId: string;
  /** Live nodes (this one included) as of this node's last heartbeat; 0 before the first. */
  nodes: number;
  /** This node is in the directory: joined, and its last heartbeat found it alive. */
  registered: boolean;
  /** Both Redis connections are ready (commands, and the subscriber that receives from others). */
  redis: { commands: boolean; subscriber: boolean };
  /** Milliseconds the last heartbeat took to come back from Redis (undefined before the first). */
  redisRoundTripMs: number | undefined;
  /** Cross-node publishes that did not reach Redis, or whose outcome is unknown (broadcast, fire, closeAll). */
  publishFailures: number;
  /** Routed calls that failed or whose outcome is unknown (emitTo, emitToList, close, request, setUUID). */
  routeFailures: number;
  /** Requests this node sent to other nodes that wait for their reply. */
  pendingRequests: number;
  /** Times this node lost its subscription (connection dropped, or Redis dropped it). */
  subscriptionLosses: number;
  /** Cluster messages refused as unreadable (another protocol version). */
  unreadableMessages: number;
  /** Times this node (re)joined: after a reconnect, an expired liveness, or a re-sync. */
  rejoins: number;
  /** Gaps found in the numbered messages (broadcast, fire, closeAll) of other nodes. */
  gaps: number;
  /** Messages missed in those gaps: published successfully, never received by this node. */
  missedMessages: number;
}

/** The parts of a prom-client `Registry` the exporter uses (so typings do not need prom-client). */
export interface KwsPrometheusRegistry {
  registerMetric(metric: never): void;
  removeSingleMetric(name: string): void;
  getSingleMetric(name: string): unknown;
}

/** Options of the Prometheus export (`metrics: { prometheus: { ... } }`). */
export interface KwsPrometheusOptions {
  /**
   * Where the metrics are registered. Default: prom-client's global registry, the one
   * `@willsoto/nestjs-prometheus` serves on `/metrics`.
   */
  registry?: KwsPrometheusRegistry;
  /** Prefix of every metric name. Default `'kws_'`. */
  prefix?: string;
  /** Buckets (seconds) of the listener-duration and ack-latency histograms. */
  buckets?: number[];
}

/** The `metrics` module option. */
export interface KwsMetricsOptions {
  /**
   * Export the counters, gauges and histograms (listener duration, ack latency, by event) through
   * `prom-client` (an optional peer: `npm install prom-client`). Default off.
   */
  prometheus?: boolean | KwsPrometheusOptions;
}
