import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { Registry } from 'prom-client';
import type { KwsModuleOptions } from '../kws-module-options.interface.js';
import { KWS_MODULE_OPTIONS } from '../kws.module-definition.js';
import { KWS_ENDPOINT_NAME } from '../kws.tokens.js';
import { KwsServer } from '../server/kws.server.js';
import { KwsStats } from './kws.stats.js';
import type { KwsPrometheusOptions } from './kws-stats.interface.js';
import { loadPromClient } from './prom-client.loader.js';
import { KwsPrometheusMetrics, type KwsMetricsSource } from './prometheus.collectors.js';

/**
 * Exports the endpoint's figures through prom-client when `metrics: { prometheus }` asks for it:
 * registers at module init (bootstrap fails with an install hint when prom-client is missing),
 * unregisters when the app shuts down.
 */
@Injectable()
export class KwsPrometheus implements OnModuleInit, OnApplicationShutdown {
  private metrics: KwsPrometheusMetrics | undefined;
  private source: KwsMetricsSource | undefined;

  constructor(
    @Inject(KWS_MODULE_OPTIONS) private readonly options: KwsModuleOptions,
    private readonly stats: KwsStats,
    private readonly server: KwsServer,
    @Inject(KWS_ENDPOINT_NAME) private readonly endpoint: string,
  ) {}

  async onModuleInit(): Promise<void> {
    const options = prometheusOptions(this.options);
    if (!options) return;
    const client = await loadPromClient();
    const registry = (options.registry ?? client.register) as Registry;
    const metrics = KwsPrometheusMetrics.of(
      client,
      registry,
      options.prefix ?? 'kws_',
      options.buckets,
    );
    const source: KwsMetricsSource = {
      endpoint: this.endpoint,
      snapshot: () => this.server.stats(),
    };
    this.stats.timers = metrics.add(source);
    this.metrics = metrics;
    this.source = source;
  }

  onApplicationShutdown(): void {
    if (this.metrics && this.source) this.metrics.remove(this.source);
    this.stats.timers = undefined;
    this.metrics = undefined;
  }
}

function prometheusOptions(options: KwsModuleOptions): KwsPrometheusOptions | undefined {
  const { metrics } = options;
  if (typeof metrics !== 'object' || !metrics.prometheus) return undefined;
  return metrics.prometheus === true ? {} : metrics.prometheus;
}
