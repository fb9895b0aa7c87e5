import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { KwsError } from '../errors/kws.error.js';
import type { KwsModuleOptions } from '../kws-module-options.interface.js';
import {
  ASYNCAPI_FAILED,
  ASYNCAPI_NOT_SERVED,
  ASYNCAPI_PATH_TAKEN,
  ASYNCAPI_SERVED,
  INTERNAL_ERROR,
} from '../kws.messages.js';
import { KWS_MODULE_OPTIONS } from '../kws.module-definition.js';
import { KWS_ENDPOINT_NAME } from '../kws.tokens.js';
import {
  DEFAULT_ASYNCAPI_PATH,
  type KwsAsyncApiDocumentOptions,
  type KwsAsyncApiOptions,
} from './asyncapi-options.interface.js';
import { KwsEndpointCatalog } from './endpoint.catalog.js';
import { KwsAsyncApi } from './kws-asyncapi.js';

/** The parts of Nest's HTTP adapter (Express or Fastify alike) the route uses. */
interface RouteAdapter {
  get(path: string, handler: (request: unknown, response: unknown) => void): unknown;
  setHeader(response: unknown, name: string, value: string): unknown;
  reply(response: unknown, body: unknown, status: number): unknown;
}

/** What the handler reads of a request (Node's, Express's or Fastify's). */
interface RequestLike {
  headers?: Record<string, string | string[] | undefined>;
  socket?: { encrypted?: boolean };
  raw?: { socket?: { encrypted?: boolean } };
}

// host, host:port, [v6]:port: a Host header that is anything else is left out of the document.
const HOST = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/**
 * @internal Puts its endpoint in the app's catalog and, with the `asyncapi` option, serves the
 * document as JSON and YAML on the app's HTTP server. Routes are added in `onModuleInit`: after
 * the app's own routes, before Nest's 404 handler (Express) and before Fastify starts listening.
 */
@Injectable()
export class KwsAsyncApiRoute implements OnModuleInit {
  private readonly logger = new Logger('KwsModule');

  constructor(
    @Inject(KWS_MODULE_OPTIONS) private readonly options: KwsModuleOptions,
    @Inject(KWS_ENDPOINT_NAME) name: string,
    private readonly catalog: KwsEndpointCatalog,
    private readonly asyncApi: KwsAsyncApi,
    private readonly httpAdapterHost: HttpAdapterHost,
  ) {
    catalog.add(name, options);
  }

  onModuleInit(): void {
    const served = servedOptions(this.options.asyncapi);
    if (!served) return;
    const adapter = this.httpAdapterHost?.httpAdapter as unknown as RouteAdapter | undefined;
    if (!adapter) {
      this.logger.log(ASYNCAPI_NOT_SERVED);
      return;
    }
    const json = served.path ?? DEFAULT_ASYNCAPI_PATH;
    const yaml = json.replace(/\.json$/, '.yaml');
    if (!this.catalog.serve(json)) throw new KwsError(ASYNCAPI_PATH_TAKEN(json));
    const info = { title: served.title, version: served.version, description: served.description };
    adapter.get(json, (request, response) => {
      void this.reply(adapter, response, 'json', { ...info, ...where(request) });
    });
    adapter.get(yaml, (request, response) => {
      void this.reply(adapter, response, 'yaml', { ...info, ...where(request) });
    });
    this.logger.log(ASYNCAPI_SERVED(json, yaml));
  }

  private async reply(
    adapter: RouteAdapter,
    response: unknown,
    format: 'json' | 'yaml',
    options: KwsAsyncApiDocumentOptions,
  ): Promise<void> {
    try {
      const body =
        format === 'json'
          ? JSON.stringify(await this.asyncApi.document(options), null, 2)
          : await this.asyncApi.yaml(options);
      adapter.setHeader(response, 'Content-Type', `application/${format}; charset=utf-8`);
      adapter.reply(response, body, 200);
    } catch (error) {
      this.logger.error(ASYNCAPI_FAILED, error instanceof Error ? error.stack : String(error));
      adapter.setHeader(response, 'Content-Type', 'application/json; charset=utf-8');
      adapter.reply(response, JSON.stringify({ message: INTERNAL_ERROR }), 500);
    }
  }
}

function servedOptions(option: KwsModuleOptions['asyncapi']): KwsAsyncApiOptions | undefined {
  if (!option) return undefined;
  return option === true ? {} : option;
}

/** The server clients reach: the request's `Host`, `wss` when it came over TLS. */
function where(request: unknown): Pick<KwsAsyncApiDocumentOptions, 'host' | 'protocol'> {
  const { headers, socket, raw } = request as RequestLike;
  const host = headers?.host;
  if (typeof host !== 'string' || !HOST.test(host)) return {};
  const encrypted = (raw?.socket ?? socket)?.encrypted === true;
  return { host, protocol: encrypted ? 'wss' : 'ws' };
}
