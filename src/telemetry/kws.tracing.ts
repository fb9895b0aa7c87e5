import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { KwsContext } from '../connection/kws.context.js';
import { KwsError } from '../errors/kws.error.js';
import type { KwsModuleOptions } from '../kws-module-options.interface.js';
import { DEFAULT_PATH } from '../kws.constants.js';
import { INVALID_OPTION } from '../kws.messages.js';
import { KWS_MODULE_OPTIONS } from '../kws.module-definition.js';
import { KWS_CONTEXT, KWS_ENDPOINT_NAME } from '../kws.tokens.js';
import { holdClusterHop, releaseClusterHop } from './cluster.trace.js';
import { KwsTracer } from './kws.tracer.js';
import { loadOtelApi } from './otel-api.loader.js';

/**
 * Turns the endpoint's spans on when `tracing: true`: loads @opentelemetry/api at module init
 * (bootstrap fails with an install hint when it is missing) and hands the endpoint a tracer; the
 * app's own SDK (NodeSDK, a TracerProvider) decides where spans go. Off when the app shuts down.
 */
@Injectable()
export class KwsTracing implements OnModuleInit, OnApplicationShutdown {
  private on = false;

  constructor(
    @Inject(KWS_MODULE_OPTIONS) private readonly options: KwsModuleOptions,
    @Inject(KWS_CONTEXT) private readonly context: KwsContext,
    @Inject(KWS_ENDPOINT_NAME) private readonly endpoint: string,
  ) {}

  async onModuleInit(): Promise<void> {
    const { tracing } = this.options;
    if (tracing !== undefined && typeof tracing !== 'boolean') {
      throw new KwsError(INVALID_OPTION('tracing', tracing, 'a boolean'));
    }
    if (!tracing) return;
    const api = await loadOtelApi();
    this.context.tracer = new KwsTracer(api, this.endpoint, this.options.path ?? DEFAULT_PATH);
    holdClusterHop(api);
    this.on = true;
  }

  onApplicationShutdown(): void {
    this.context.tracer = undefined;
    if (this.on) releaseClusterHop();
    this.on = false;
  }
}
