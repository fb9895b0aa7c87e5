import { KwsError } from './errors/kws.error.js';
import { UNKNOWN_OPTION } from './kws.messages.js';
import type { KwsAsyncApiOptions } from './asyncapi/asyncapi-options.interface.js';
import type { KwsChannelsOptions } from './channels/channels-options.interface.js';
import type { KwsClusterOptions } from './cluster/kws-cluster-options.interface.js';
import type { KwsInspectorOptions } from './inspector/inspector-options.interface.js';
import type { KwsModuleOptions } from './kws-module-options.interface.js';
import type { KwsMetricsOptions, KwsPrometheusOptions } from './metrics/kws-stats.interface.js';
import type { KwsRecoveryOptions } from './recovery/recovery-options.interface.js';
import type { KwsRateLimitOptions } from './transport/rate-limit-options.interface.js';

const TOP = [
  'name',
  'parser',
  'requestTimeout',
  'maxPendingRequests',
  'maxInFlight',
  'maxRoomsPerConnection',
  'connectTimeout',
  'path',
  'port',
  'host',
  'allowUpgrade',
  'trustProxy',
  'origins',
  'pingInterval',
  'pongTimeout',
  'maxPayload',
  'sendBufferLimit',
  'highWaterMark',
  'slowConsumer',
  'partialMessageTimeout',
  'maxPartialBytes',
  'compression',
  'handshakeTimeout',
  'maxParamLength',
  'shutdownTimeout',
  'broker',
  'cluster',
  'recovery',
  'metrics',
  'rateLimit',
  'asyncapi',
  'channels',
  'inspector',
  'tracing',
] as const satisfies readonly (keyof KwsModuleOptions)[];
const RECOVERY = [
  'maxDisconnection',
  'maxMessages',
  'maxSuspendedPerAddress',
  'maxSuspended',
  'handover',
] as const satisfies readonly (keyof KwsRecoveryOptions)[];
const RATE_LIMIT = [
  'messages',
  'bytes',
  'per',
  'pings',
  'action',
] as const satisfies readonly (keyof KwsRateLimitOptions)[];
const CLUSTER = [
  'redis',
  'keyPrefix',
  'heartbeatInterval',
  'nodeTtl',
  'requestTimeout',
  'roomChannels',
  'requireRedis',
] as const satisfies readonly (keyof KwsClusterOptions)[];
const ASYNCAPI = [
  'path',
  'title',
  'version',
  'description',
] as const satisfies readonly (keyof KwsAsyncApiOptions)[];
const CHANNELS = [
  'maxNameLength',
  'maxPerConnection',
  'maxMetaBytes',
] as const satisfies readonly (keyof KwsChannelsOptions)[];
const INSPECTOR = [
  'guard',
  'path',
  'sampleInterval',
] as const satisfies readonly (keyof KwsInspectorOptions)[];
const METRICS = ['prometheus'] as const satisfies readonly (keyof KwsMetricsOptions)[];
const PROMETHEUS = [
  'registry',
  'prefix',
  'buckets',
] as const satisfies readonly (keyof KwsPrometheusOptions)[];

/**
 * Every option key `KwsModule` knows, per object (`''` is the top level): a key not listed fails
 * bootstrap (a typo such as `pingIntreval` must not be ignored). The one list: an option added to
 * an interface without being added here does not compile (see the checks below).
 */
export const KWS_OPTION_KEYS: Readonly<Record<string, readonly string[]>> = {
  '': TOP,
  recovery: RECOVERY,
  rateLimit: RATE_LIMIT,
  cluster: CLUSTER,
  metrics: METRICS,
  'metrics.prometheus': PROMETHEUS,
  asyncapi: ASYNCAPI,
  channels: CHANNELS,
  inspector: INSPECTOR,
};

/**
 * Fails when `value` (the options object at `where`: `''`, `'cluster'`...) has an own key that is
 * not a known option, naming it and the closest known key.
 */
export function assertKnownKeys(value: object, where: string): void {
  const known = KWS_OPTION_KEYS[where] ?? [];
  for (const key of Object.keys(value)) {
    if (known.includes(key)) continue;
    const name = where ? `${where}.${key}` : key;
    throw new KwsError(UNKNOWN_OPTION(name, closest(key, known), known));
  }
}

/** The known key a typo most likely meant (at most a third of its letters off), if any. */
function closest(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(1, Math.floor(key.length / 3)) + 1;
  for (const candidate of known) {
    const distance = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        previous[j] + 1,
        current[j - 1] + 1,
        previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length];
}

// Compile-time completeness: `{}` only fits when no key of the interface is missing above.
type Unlisted<T, L extends readonly unknown[]> = Record<Exclude<keyof T, L[number]>, never>;
const complete: [
  Unlisted<KwsModuleOptions, typeof TOP>,
  Unlisted<KwsRecoveryOptions, typeof RECOVERY>,
  Unlisted<KwsRateLimitOptions, typeof RATE_LIMIT>,
  Unlisted<KwsClusterOptions, typeof CLUSTER>,
  Unlisted<KwsMetricsOptions, typeof METRICS>,
  Unlisted<KwsPrometheusOptions, typeof PROMETHEUS>,
  Unlisted<KwsAsyncApiOptions, typeof ASYNCAPI>,
  Unlisted<KwsChannelsOptions, typeof CHANNELS>,
  Unlisted<KwsInspectorOptions, typeof INSPECTOR>,
] = [{}, {}, {}, {}, {}, {}, {}, {}, {}];
void complete;
