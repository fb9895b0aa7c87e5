import { KwsError } from '../errors/kws.error.js';
import type { KwsModuleOptions } from '../kws-module-options.interface.js';
import { INVALID_OPTION } from '../kws.messages.js';

/** Checks the `metrics` option at bootstrap. */
export function validateMetricsOptions(metrics: KwsModuleOptions['metrics']): void {
  if (metrics === undefined || typeof metrics === 'boolean') return;
  if (typeof metrics !== 'object' || metrics === null) {
    throw new KwsError(INVALID_OPTION('metrics', metrics, 'a boolean or { prometheus }'));
  }
  const { prometheus } = metrics;
  if (prometheus === undefined || typeof prometheus === 'boolean') return;
  if (typeof prometheus !== 'object' || prometheus === null) {
    throw new KwsError(
      INVALID_OPTION(
        'metrics.prometheus',
        prometheus,
        'a boolean or { registry, prefix, buckets }',
      ),
    );
  }
  const { prefix, buckets, registry } = prometheus;
  if (prefix !== undefined && !(typeof prefix === 'string' && /^[a-zA-Z_:][\w:]*$/.test(prefix))) {
    throw new KwsError(
      INVALID_OPTION('metrics.prometheus.prefix', prefix, 'a Prometheus name prefix like "kws_"'),
    );
  }
  if (
    buckets !== undefined &&
    !(
      Array.isArray(buckets) &&
      buckets.length > 0 &&
      buckets.every((b) => Number.isFinite(b) && b > 0)
    )
  ) {
    throw new KwsError(
      INVALID_OPTION('metrics.prometheus.buckets', buckets, 'a non-empty array of seconds > 0'),
    );
  }
  if (registry !== undefined && typeof registry?.registerMetric !== 'function') {
    throw new KwsError(
      INVALID_OPTION('metrics.prometheus.registry', registry, 'a prom-client Registry'),
    );
  }
}
