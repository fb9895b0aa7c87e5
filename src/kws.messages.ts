// Every text the library logs or throws, in one place.

export const INVALID_CONNECTION = (uuid: string) =>
  `No live WebSocket connection with uuid "${uuid}".`;
export const UUID_DUPLICATION = (uuid: string) =>
  `The uuid "${uuid}" is already held by another connection.`;
export const INVALID_UUID = (uuid: unknown) =>
  `A connection uuid must be a non-empty string, got ${JSON.stringify(uuid)}.`;
export const LISTENER_FAILED = (event: string, uuid: string) =>
  `A listener of "${event}" failed on connection ${uuid}.`;
export const ERROR_LISTENER_FAILED = (uuid: string) =>
  `An "error" listener failed on connection ${uuid}; not reported again to avoid a loop.`;
export const PONG_TIMEOUT = (ms: number) => `No pong from the peer within ${ms} ms.`;
export const SLOW_CONSUMER = (bytes: number, limit: number) =>
  `The peer is not reading: ${bytes} bytes queued, over the send buffer limit of ${limit}.`;
export const PEER_CLOSED = (code: number, reason: string) =>
  `The connection closed with code ${code}${reason ? ` (${reason})` : ''}.`;
export const SCOPED_LISTENER = (className: string) =>
  `${className} is request-scoped: its @OnKwsEvent listeners get a new instance per event (the event's payload is the REQUEST).`;
export const NO_HTTP_SERVER =
  'KwsModule found no HTTP server to attach to: call app.listen()/app.init() on an HTTP app, or set the "port" option.';
export const ENDPOINT_READY = (where: string) => `WebSocket endpoint ready on ${where}`;
export const UPGRADE_REFUSAL_FAILED = 'allowUpgrade threw; the upgrade is refused with 500.';
export const CLUSTER_UNAVAILABLE = (what: string) =>
  `The cluster is unreachable (${what}); cross-node operations fail until it is back.`;
export const IOREDIS_MISSING =
  'Cluster mode needs the "ioredis" package: run "npm install ioredis" (it is an optional peer dependency of nestjs-kws).';
export const CLUSTER_JOINED = (node: string, connections: number) =>
  `Joined the cluster as node ${node} with ${connections} connection(s).`;
export const CLUSTER_CONNECTION_LOST = (reason: string) =>
  `Lost the cluster's Redis (${reason}); local connections go on, cross-node operations fail until it is back.`;
export const CLUSTER_UUID_TAKEN = (uuid: string) =>
  `The uuid "${uuid}" was claimed on another node while this node was cut off; the local connection is closed.`;
export const CLUSTER_BAD_TTL = (interval: number, ttl: number) =>
  `cluster.nodeTtl (${ttl} ms) must be at least twice cluster.heartbeatInterval (${interval} ms), so one late heartbeat does not make a live node look dead.`;
export const INVALID_OPTION = (name: string, value: unknown, expected: string) =>
  `KwsModule option "${name}" must be ${expected}, got ${typeof value === 'string' || Array.isArray(value) ? JSON.stringify(value) : String(value)}.`;
export const REQUEST_TIMED_OUT = (event: string, ms: number) =>
  `No acknowledgement for "${event}" within ${ms} ms.`;
export const TOO_MANY_PENDING_REQUESTS = (limit: number) =>
  `Too many requests waiting for an acknowledgement on this connection (limit ${limit}).`;
export const UNKNOWN_EVENT = 'No such event';
export const INTERNAL_ERROR = 'Internal error';
/** A retried request (`rid`) whose former node went away before answering: it is not run again. */
export const REQUEST_OUTCOME_UNKNOWN = 'Request outcome unknown';
/** A retried request (`rid`) whose answer was too big to travel with its session. */
export const REQUEST_OUTCOME_NOT_KEPT = 'Request outcome not kept';
export const MALFORMED_PACKET = (why: string) => `Malformed packet: ${why}.`;
export const CONNECT_TIMED_OUT = (uuid: string, ms: number) =>
  `"connect" of ${uuid} (its guards and listeners) did not decide within connectTimeout (${ms} ms): the connection is refused (1013). Raise connectTimeout if a slow auth backend is expected.`;
export const CONNECT_FAILED = (uuid: string) =>
  `A "connect" listener of ${uuid} failed: the connection is refused (1011).`;
export const RESUME_TIMED_OUT = (uuid: string, ms: number) =>
  `The resume of session ${uuid} (its "connect" guards and "resume" listeners) did not decide within connectTimeout (${ms} ms): it is refused (1013).`;
export const RESUME_REFUSED = (reason: string) => `The resume was refused: ${reason}`;
export const SESSION_IN_USE = 'Session in use';
export const CONNECT_TIMEOUT_REASON = 'Connect timed out';
export const INTERNAL_ERROR_REASON = 'Internal server error';
export const UNKNOWN_ACK = (id: number) =>
  `An acknowledgement for unknown request ${id} was ignored.`;
export const PATH_TAKEN = (path: string, owner: string, otherPath: string, otherOwner: string) =>
  `${owner} cannot serve WebSocket path "${path}": ${otherOwner} already serves "${otherPath}" on the same HTTP server. Give each its own path.`;
export const BAD_PARAM = (name: string, max: number) =>
  `Route param "${name}" must be 1 to ${max} characters without "/", "\\", control characters, "." or "..".`;
export const HANDSHAKE_TIMED_OUT = 'allowUpgrade did not answer within handshakeTimeout.';
export const NO_ENDPOINT =
  'KwsModule runs without a WebSocket endpoint: this app has no HTTP server and no "port" option (a module-only test or an application context). KwsServer works with zero connections.';
export const PORT_UNAVAILABLE = (port: number, host: string | undefined, reason: string) =>
  `KwsModule cannot serve its "port" ${host ? `${host}:` : ''}${port}: ${reason}.`;
export const MESSAGE_DROPPED = (uuid: string, reason: string) =>
  reason === 'slow-consumer'
    ? `The message to "${uuid}" was dropped: the peer does not read fast enough (slowConsumer policy).`
    : `The message to "${uuid}" was not delivered: the node holding it is not listening to the cluster right now.`;
export const OUTCOME_UNKNOWN = (what: string, reason: string) =>
  `The outcome of ${what} is unknown (${reason === 'timeout' ? 'no answer in time' : 'the Redis connection dropped while it was in flight'}): it may have been delivered once, or not; it is not re-sent.`;
export const BROADCAST_INCOMPLETE = (what: string, reached: number, expected: number) =>
  `${what} reached ${reached} of ${expected} live node(s): the connections of the others missed it.`;
export const CLUSTER_SUBSCRIPTION_LOST = (reason: string) =>
  `Lost the cluster subscription (${reason}): this node misses cross-node messages and counts as dead until it re-subscribes and rejoins.`;
export const CLUSTER_MESSAGES_MISSED = (missed: number, origin: string, room?: string) =>
  `Missed ${missed} cluster message(s) from node ${origin}${room === undefined ? '' : ` in room "${room}"`}: Redis dropped them before this node read them (its subscription was dropped, e.g. while its event loop was blocked); its connections never got them.`;
export const CLUSTER_AUTH_FAILED = (reason: string) =>
  `Cluster mode cannot authenticate to Redis (${reason}): check the password/user in cluster.redis.`;
export const CLUSTER_REDIS_MISSING =
  'cluster.redis is undefined: give a URL, ioredis options or an ioredis client (a missing environment variable?). Leave "cluster" out for one node without Redis.';
export const CLUSTER_REDIS_INVALID = (value: unknown) =>
  `cluster.redis must be a URL string, ioredis options or an ioredis client, got ${typeof value === 'string' ? JSON.stringify(value) : typeof value}.`;
export const CLUSTER_MESSAGE_UNREADABLE = (version: number, supported: number) =>
  `Refused a cluster message of protocol version ${version} (this node speaks ${supported}): nodes of incompatible versions share this keyPrefix. Give each version its own keyPrefix during a rolling deploy, or upgrade every node.`;
export const PRESENCE_LISTENER_FAILED = (type: string, room: string) =>
  `A presence listener failed on "${type}" of room "${room}".`;
export const RECOVERY_NEEDS_PARSER =
  'KwsModule option "recovery" needs a parser (e.g. parser: \'json\'): offsets and the session packet are packets, raw frames cannot carry them.';
export const SESSION_EXPIRED = (ms: number) =>
  `The connection dropped and the session was not resumed within ${ms} ms.`;
export const SESSION_OVERFLOW = (max: number) =>
  `The connection dropped and more than ${max} messages were kept for it; the session ended.`;
export const SESSION_GAP =
  'The client came back after messages it had not received were discarded; the session ended and a fresh one started.';
export const PROM_CLIENT_MISSING =
  'Prometheus metrics (metrics.prometheus) need the "prom-client" package: run "npm install prom-client" (it is an optional peer dependency of nestjs-kws).';
export const PROMETHEUS_NAME_TAKEN = (name: string) =>
  `The Prometheus registry already has a metric named "${name}" that nestjs-kws did not register: set metrics.prometheus.prefix to another prefix.`;
export const UNREACHED = (operation: string, uuids: readonly string[]) =>
  `${uuids.length} recipient(s) of ${operation} could not be reached: ${uuids.slice(0, 5).join(', ')}${uuids.length > 5 ? `, and ${uuids.length - 5} more` : ''}.`;
export const LISTENER_FAILURES_SUPPRESSED = (event: string, count: number, seconds: number) =>
  `A listener of "${event}" failed ${count} more time(s) with the same error in the last ${seconds} s (stack logged once).`;
export const RATE_LIMITED = (limit: string, per: number) =>
  `The connection went past its rate limit (${limit} per ${per} ms); frames are dropped until it slows down.`;
export const RATE_LIMIT_CLOSE_REASON = 'Rate limit exceeded';
export const RATE_LIMIT_ACK = 'Too many requests';
export const PARTIAL_MESSAGE_TIMEOUT = (ms: number) =>
  `A message stayed incomplete for more than ${ms} ms (partialMessageTimeout).`;
export const PARTIAL_MESSAGES_OVER_LIMIT = (bytes: number) =>
  `Messages in progress on all connections announced more than ${bytes} bytes (maxPartialBytes); the oldest are cut.`;
export const PARTIAL_BYTES_UNAVAILABLE =
  'This version of ws no longer exposes the length of a message in progress: partialMessageTimeout and maxPartialBytes are off.';
export const IN_FLIGHT_LIMITED = (max: number) =>
  `The connection sent a message while ${max} of its messages were still in async listeners (maxInFlight); messages are dropped until one settles.`;
export const IN_FLIGHT_ACK = 'Too many events in flight';
export const SUSPEND_REFUSED = (option: string, max: number, address: string) =>
  `A dropped connection from ${address} was not suspended: recovery.${option} (${max}) sessions are suspended already; it ended instead.`;
export const OTEL_API_MISSING =
  'Tracing (tracing: true) needs the "@opentelemetry/api" package: run "npm install @opentelemetry/api" (it is an optional peer dependency of nestjs-kws), and register an OpenTelemetry SDK to export the spans.';
export const ENCODE_FAILED = (what: string, reason: string) =>
  `Could not encode ${what}: ${reason}. Send data the parser can encode (JSON: no BigInt, no cycle, not nested thousands deep).`;
export const INVALID_EVENT_NAME = (name: unknown, max: number) =>
  `An event name must be a string of 1 to ${max} characters, got ${describeName(name)}.`;
export const INVALID_ROOM_NAME = (room: unknown, max: number) =>
  `A room name must be a string of 1 to ${max} characters, got ${describeName(room)}.`;
export const TOO_MANY_ROOMS = (uuid: string, limit: number) =>
  `Connection ${uuid} cannot join more than ${limit} rooms (maxRoomsPerConnection); it joined none of these.`;

function describeName(name: unknown): string {
  if (typeof name !== 'string') return name === null ? 'null' : typeof name;
  return name.length > 40
    ? `${name.length} characters ("${name.slice(0, 20)}...")`
    : JSON.stringify(name);
}
const quoteOrigin = (origin: string | undefined) =>
  origin === undefined ? 'none' : JSON.stringify(origin.slice(0, 200));
export const ORIGIN_NOT_SAME_HOST = (origin: string, host: string | undefined) =>
  `Refused a WebSocket upgrade (403) from Origin ${quoteOrigin(origin)}: a page of another site sent it to host ${quoteOrigin(host)} (cross-site WebSocket hijacking is refused by default). If that site may connect, list it in the "origins" option: origins: [${quoteOrigin(origin)}] (or a function; origins: () => true accepts any origin). Behind a proxy that rewrites Host, set "trustProxy" so X-Forwarded-Host is read.`;
export const ORIGIN_NOT_LISTED = (origin: string | undefined) =>
  `Refused a WebSocket upgrade (403) from Origin ${quoteOrigin(origin)}: the "origins" option does not allow it. Add it to "origins" if that site may connect.`;
export const ORIGIN_REFUSALS_SUPPRESSED = (count: number, seconds: number) =>
  `${count} more WebSocket upgrade(s) were refused (403) for their Origin in the last ${seconds} s (logged once per origin).`;
export const UNKNOWN_OPTION = (
  name: string,
  suggestion: string | undefined,
  known: readonly string[],
) =>
  `KwsModule option "${name}" is unknown${suggestion ? ` (did you mean "${suggestion}"?)` : ''}: a misspelt option would otherwise be ignored. Known here: ${known.join(', ')}.`;
export const EXTRA_IN_FACTORY = (name: string) =>
  `KwsModule option "${name}" was returned by the forRootAsync factory, where it is ignored: give it to forRootAsync({ ${name}, useFactory }) itself.`;
export const DUPLICATE_ENDPOINT = (name: string) =>
  name
    ? `Two KwsModule endpoints are named "${name}": give each forRoot/forRootAsync its own "name".`
    : 'Two KwsModule endpoints have no "name": they would share one set of listeners and one KwsServer. Give every endpoint but one a "name" (forRoot({ name: \'admin\', path: \'/admin\' })).';
export const UNDECLARED_ENDPOINT = (where: string, endpoint: string, declared: readonly string[]) =>
  `${where} listens on ${endpoint ? `endpoint "${endpoint}"` : 'the unnamed endpoint'}, which no KwsModule.forRoot/forRootAsync declares (declared: ${declared.map((name) => (name ? `"${name}"` : 'the unnamed one')).join(', ') || 'none'}): it would never run. Fix the "endpoint" of @OnKwsEvent/@OnKwsEndpoint, or the "name" of the module.`;
export const NAMED_EVENTS_WITHOUT_PARSER = (endpoint: string, events: readonly string[]) =>
  `${endpoint ? `KwsModule endpoint "${endpoint}"` : 'The KwsModule endpoint'} has listeners of named events (${events
    .slice(0, 10)
    .map((e) => JSON.stringify(e))
    .join(
      ', ',
    )}${events.length > 10 ? `, and ${events.length - 10} more` : ''}) but no "parser" option: without one every frame is a raw "message" event, so clients cannot reach them. Set parser: 'json' (or your own parser), or mark listeners only fired server-side (kws.fire()) with { fromClient: false }.`;
export const CLUSTER_REDIS_SCHEME = (scheme: string, url: string) =>
  `cluster.redis ${JSON.stringify(url)} has the scheme "${scheme}": a Redis URL starts with redis:// or rediss:// (TLS), e.g. redis://:password@host:6379/0.`;
export const CLUSTER_REDIS_REQUIRED = (where: string, ms: number) =>
  `Cluster mode could not reach Redis at ${where} within ${ms} ms (cluster.requestTimeout), and cluster.requireRedis is set: the app does not start without Redis. Check that Redis runs at that address, or leave requireRedis off to start anyway and join when Redis comes.`;
export const CLUSTER_STARTS_WITHOUT_REDIS = (where: string) =>
  `Redis at ${where} is unreachable at boot: the app starts and serves its local connections; cross-node operations (and recovery across nodes) fail fast until it joins the cluster, which it does by itself when Redis comes. Set cluster.requireRedis to refuse to start instead.`;
export const ASYNCAPI_SERVED = (json: string, yaml: string) =>
  `AsyncAPI document served on ${json} and ${yaml}`;
export const ASYNCAPI_NOT_SERVED =
  'The asyncapi option found no HTTP server to serve the document on (an application context): KwsAsyncApi.document() still builds it.';
export const ASYNCAPI_PATH_TAKEN = (path: string) =>
  `KwsModule option "asyncapi.path": ${path} is already served by another endpoint's asyncapi option; give one endpoint the option (the document lists every endpoint).`;
export const ASYNCAPI_FAILED = 'Building the AsyncAPI document failed.';
export const DUPLICATE_JOIN_HANDLER = (pattern: string) =>
  `Two @OnKwsJoin handlers for channel pattern "${pattern}" on one endpoint: a pattern has one join handler.`;
export const SCOPED_CHANNEL_HANDLER = (name: string) =>
  `${name} is request-scoped (or depends on a request-scoped provider): its channel handlers (@OnKwsJoin, @OnKwsChannelEvent, @OnKwsLeave) are not registered. Make it a singleton or transient provider.`;
export const BAD_CHANNEL_NAME = (max: number) =>
  `A channel name is a string of 1 to ${max} characters`;
export const NO_SUCH_CHANNEL = (channel: string) => `No channel matches "${channel}"`;
export const TOO_MANY_CHANNELS = (max: number) =>
  `Too many channels: a connection may be in ${max} at once (channels.maxPerConnection)`;
export const JOIN_REFUSED = 'Join refused';
export const NOT_A_MEMBER = (channel: string) => `Not a member of channel "${channel}"`;
export const JOIN_IN_PROGRESS = (channel: string) =>
  `A join of channel "${channel}" is in progress`;
export const CHANNEL_HANDLER_FAILED = (what: string, channel: string, uuid: string) =>
  `A channel handler of "${what}" failed on channel "${channel}" for connection ${uuid}.`;
export const PRESENCE_META_TOO_BIG = (bytes: number, max: number) =>
  `A presence meta of ${bytes} bytes is over the limit of ${max} (channels.maxMetaBytes).`;
export const PRESENCE_NOT_A_MEMBER = (channel: string) =>
  `presence.track: the connection is not in channel "${channel}" (track it in or after its join handler).`;
export const PRESENCE_META_NOT_OBJECT = 'presence.track: the meta must be a JSON object.';
export const PRESENCE_SYNC_FAILED = (why: string) =>
  `Presence could not be shared with the other nodes (${why}); it converges once Redis answers again.`;
export const NO_HISTORY = (channel: string) =>
  `Channel "${channel}" keeps no history (@OnKwsJoin(pattern, { history: { size, ttl } })).`;
export const BAD_HISTORY_QUERY =
  'A history query is { limit?: integer from 1 to 1000, since?: a seq of at most 200 characters }';
export const PRESENCE_BAD_KEY = (max: number) =>
  `presence.track: the key is a string of 1 to ${max} characters (usually the user id).`;
export const INSPECTOR_WITHOUT_GUARD =
  'KwsModule option "inspector.guard" is required: the inspection page shows every connection and can close them, so it is never served unguarded. Pass a Nest guard class, a guard instance or a function (context) => boolean, e.g. inspector: { guard: AdminGuard }.';
export const INSPECTOR_SERVED = (path: string) => `Inspection page served on ${path} (guarded)`;
export const INSPECTOR_NOT_SERVED =
  'The inspector option found no HTTP server to serve the page on (an application context).';
export const INSPECTOR_PATH_TAKEN = (path: string) =>
  `KwsModule option "inspector.path": ${path} is already served by another endpoint's inspector; give each endpoint its own path.`;
export const INSPECTOR_GUARD_FAILED = 'The inspector guard threw a non-HTTP error.';
export const INSPECTOR_CSRF =
  'Inspector actions need the header "X-Kws-Inspector: 1" and a JSON body (Content-Type: application/json).';
export const INSPECTOR_BAD_REQUEST = (what: string) => `Inspector: ${what}.`;
export const INSPECTOR_WITHOUT_METRICS =
  'KwsModule option "inspector" reads the counters that "metrics: false" turns off: remove metrics: false, or the inspector.';
export const INSPECTOR_FAILED = 'An inspector request failed.';
export const INVALID_PAGE_COUNT = (count: unknown, max: number) =>
  `A page count must be an integer from 1 to ${max}, got ${typeof count === 'number' ? count : (JSON.stringify(count) ?? String(count))}.`;
export const INVALID_CURSOR = (why: string) =>
  `Invalid cursor (${why}): pass back the cursor of the previous page, or none to start over.`;
