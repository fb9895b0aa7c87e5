import {
  HttpException,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import { HttpAdapterHost, ModuleRef } from '@nestjs/core';
import type { IncomingMessage } from 'node:http';
import { KwsEndpointCatalog } from '../asyncapi/endpoint.catalog.js';
import { KwsError } from '../errors/kws.error.js';
import type { KwsModuleOptions } from '../kws-module-options.interface.js';
import {
  INSPECTOR_CSRF,
  INSPECTOR_FAILED,
  INSPECTOR_GUARD_FAILED,
  INSPECTOR_NOT_SERVED,
  INSPECTOR_PATH_TAKEN,
  INSPECTOR_SERVED,
  INTERNAL_ERROR,
} from '../kws.messages.js';
import { KWS_MODULE_OPTIONS } from '../kws.module-definition.js';
import { KWS_BROKER } from '../kws.tokens.js';
import type { KwsBroker } from '../broker/kws-broker.interface.js';
import { KwsStats, type KwsTimers } from '../metrics/kws.stats.js';
import { KwsServer } from '../server/kws.server.js';
import {
  DEFAULT_INSPECTOR_PATH,
  DEFAULT_SAMPLE_INTERVAL,
  INSPECTOR_SAMPLES,
  type KwsInspectorOptions,
} from './inspector-options.interface.js';
import { KwsInspectorGate, KwsInspectorGuardError } from './inspector.guard.js';
import { inspectorPage } from './inspector.page.js';
import { type InspectorReply, KwsInspectorView } from './inspector.view.js';
import { KwsStatsHistory } from './stats.history.js';
import { KwsStatsSampler } from './stats.sampler.js';
import { KwsInspectorChannels } from './inspector.channels.js';
import { KwsChannels } from '../channels/kws.channels.js';

type Handler = (request: unknown, response: unknown) => void;

/** The parts of Nest's HTTP adapter (Express or Fastify alike) the routes use. */
interface RouteAdapter {
  get(path: string, handler: Handler): unknown;
  post(path: string, handler: Handler): unknown;
  setHeader(response: unknown, name: string, value: string): unknown;
  reply(response: unknown, body: unknown, status: number): unknown;
}

/** What the handlers read of a request (Express's, or Fastify's with `raw`). */
interface RequestLike {
  url?: string;
  headers?: Record<string, string | string[] | undefined>;
  body?: unknown;
  raw?: IncomingMessage;
}

/** The custom header every action must carry: a cross-site form cannot set it. */
export const INSPECTOR_ACTION_HEADER = 'x-kws-inspector';
const MAX_BODY = 16 * 1024;
// The page's script and style are inline; it fetches its own API and nothing else.
const PAGE_POLICY =
  "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/**
 * @internal With the `inspector` option, serves the inspection page and its JSON API on the app's
 * HTTP server (Express or Fastify), every route behind the app's guard, and samples the stats
 * for the charts. Routes are added in `onModuleInit`, as the AsyncAPI routes are.
 */
@Injectable()
export class KwsInspectorRoute implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('KwsModule');
  private readonly options: KwsInspectorOptions | undefined;
  private readonly history = new KwsStatsHistory(INSPECTOR_SAMPLES);
  private readonly sampler: KwsStatsSampler;
  private timers: KwsTimers | undefined;

  constructor(
    @Inject(KWS_MODULE_OPTIONS) options: KwsModuleOptions,
    private readonly server: KwsServer,
    private readonly stats: KwsStats,
    private readonly catalog: KwsEndpointCatalog,
    private readonly moduleRef: ModuleRef,
    private readonly httpAdapterHost: HttpAdapterHost,
    @Inject(KWS_BROKER) private readonly broker: KwsBroker,
    private readonly channels: KwsChannels,
  ) {
    this.options = options.inspector || undefined;
    this.sampler = new KwsStatsSampler(
      this.history,
      this.options?.sampleInterval ?? DEFAULT_SAMPLE_INTERVAL,
      () => this.server.stats(),
      broker,
    );
  }

  onModuleInit(): void {
    const options = this.options;
    if (!options) return;
    const adapter = this.httpAdapterHost?.httpAdapter as unknown as RouteAdapter | undefined;
    if (!adapter) {
      this.logger.log(INSPECTOR_NOT_SERVED);
      return;
    }
    const path = options.path ?? DEFAULT_INSPECTOR_PATH;
    if (!this.catalog.serve(`inspector:${path}`)) throw new KwsError(INSPECTOR_PATH_TAKEN(path));
    const gate = new KwsInspectorGate(options.guard, this.moduleRef);
    const channels = new KwsInspectorChannels(this.channels, this.server);
    const view = new KwsInspectorView(this.server, this.sampler, this.broker, channels);
    const page = inspectorPage(path);
    const api = path === '/' ? '/api' : `${path}/api`;

    const guarded = (
      reply: (request: RequestLike) => Promise<InspectorReply | string> | InspectorReply | string,
    ): Handler => {
      const handler: Handler = (request, response) => {
        void this.answer(adapter, gate, handler, request as RequestLike, response, reply);
      };
      return handler;
    };
    adapter.get(
      path,
      guarded(() => page),
    );
    adapter.get(
      `${api}/state`,
      guarded(() => view.state()),
    );
    adapter.get(
      `${api}/connection`,
      guarded((request) => view.connection(query(request, 'uuid'))),
    );
    adapter.get(
      `${api}/channel`,
      guarded((request) => channels.channel(query(request, 'name'))),
    );
    adapter.post(
      `${api}/close`,
      guarded(async (request) => view.close(await actionBody(request))),
    );
    adapter.post(
      `${api}/leave`,
      guarded(async (request) => view.leave(await actionBody(request))),
    );
    this.logger.log(INSPECTOR_SERVED(path));
  }

  onApplicationBootstrap(): void {
    if (!this.options) return;
    // After every onModuleInit, so Prometheus's timers (if on) are in place to be chained.
    this.timers = this.history.timers(this.stats.timers);
    this.stats.timers = this.timers;
    this.sampler.start();
  }

  onModuleDestroy(): void {
    this.sampler.stop();
    if (this.timers && this.stats.timers === this.timers) this.stats.timers = undefined;
  }

  /** The answer to a guard's refusal, a refused action, or a failure (logged when unexpected). */
  private failure(error: unknown): InspectorReply {
    if (error instanceof HttpException) {
      return { status: error.getStatus(), body: { message: error.message } };
    }
    if (error instanceof CsrfRefusal) return { status: 403, body: { message: INSPECTOR_CSRF } };
    if (error instanceof BodyRefusal) return { status: 400, body: { message: error.message } };
    // Redis unreachable or slow (cluster mode): the figures are not available now.
    if (error instanceof KwsError) return { status: 503, body: { message: error.message } };
    const guard = error instanceof KwsInspectorGuardError;
    const cause = guard ? error.cause : error;
    this.logger.error(
      guard ? INSPECTOR_GUARD_FAILED : INSPECTOR_FAILED,
      cause instanceof Error ? cause.stack : String(cause),
    );
    return { status: 500, body: { message: INTERNAL_ERROR } };
  }

  private async answer(
    adapter: RouteAdapter,
    gate: KwsInspectorGate,
    handler: Handler,
    request: RequestLike,
    response: unknown,
    reply: (request: RequestLike) => Promise<InspectorReply | string> | InspectorReply | string,
  ): Promise<void> {
    adapter.setHeader(response, 'Cache-Control', 'no-store');
    adapter.setHeader(response, 'X-Content-Type-Options', 'nosniff');
    adapter.setHeader(response, 'X-Frame-Options', 'DENY');
    let result: InspectorReply | string;
    try {
      const allowed = await gate.allows(request, response, handler);
      result = allowed ? await reply(request) : { status: 403, body: { message: 'Forbidden' } };
    } catch (error) {
      result = this.failure(error);
    }
    if (typeof result === 'string') {
      adapter.setHeader(response, 'Content-Type', 'text/html; charset=utf-8');
      adapter.setHeader(response, 'Content-Security-Policy', PAGE_POLICY);
      adapter.reply(response, result, 200);
      return;
    }
    adapter.setHeader(response, 'Content-Type', 'application/json; charset=utf-8');
    adapter.reply(response, JSON.stringify(result.body), result.status);
  }
}

class CsrfRefusal extends Error {}
class BodyRefusal extends Error {}

function header(request: RequestLike, name: string): string {
  const value = (request.headers ?? request.raw?.headers)?.[name];
  return Array.isArray(value) ? value.join(',') : (value ?? '');
}

function query(request: RequestLike, key: string): string | null {
  const url = request.url ?? request.raw?.url ?? '';
  return new URL(url, 'http://inspector.invalid').searchParams.get(key);
}

/**
 * The JSON object of an action, after the CSRF checks: the custom header (a cross-site request
 * can only send it after a CORS preflight the app does not answer) and a JSON content type.
 */
async function actionBody(request: RequestLike): Promise<Record<string, unknown>> {
  if (header(request, INSPECTOR_ACTION_HEADER) !== '1') throw new CsrfRefusal();
  if (!/^application\/json\s*(;|$)/i.test(header(request, 'content-type'))) throw new CsrfRefusal();
  let body = request.body;
  if (body === undefined) body = await readJson((request.raw ?? request) as IncomingMessage);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new BodyRefusal('Inspector: the body must be a JSON object.');
  }
  return body as Record<string, unknown>;
}

/** The body when no parser read it (an app with `bodyParser: false`), up to 16 KB. */
function readJson(stream: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let text = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      text += chunk;
      if (text.length > MAX_BODY) {
        stream.destroy();
        reject(new BodyRefusal('Inspector: the body is over 16 KB.'));
      }
    });
    stream.on('end', () => {
      try {
        resolve(JSON.parse(text));
      } catch {
        reject(new BodyRefusal('Inspector: the body is not JSON.'));
      }
    });
    stream.on('error', reject);
  });
}
