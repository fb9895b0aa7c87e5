import { Injectable } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import { KwsListenerRegistry } from '../events/listener.registry.js';
import { DEFAULT_ENDPOINT, KWS_ENDPOINT_METADATA } from '../kws.constants.js';
import type {
  KwsAsyncApiDocument,
  KwsAsyncApiDocumentOptions,
} from './asyncapi-options.interface.js';
import { buildAsyncApiDocument, type KwsAsyncApiSources } from './asyncapi-document.builder.js';
import { toYaml } from './asyncapi.yaml.js';
import { loadClassValidator } from './class-validator.loader.js';
import { KwsEndpointCatalog } from './endpoint.catalog.js';
import { KWS_EMITS_METADATA, type KwsEmitsMetadata } from './kws-emits.decorator.js';

/**
 * The app's AsyncAPI 3.0 document, built from what it registered: every endpoint, the events its
 * clients may send (each `@OnKwsEvent` listener with `fromClient`), their `data` schemas, acks and
 * error acks, and what `@KwsEmits` declares. Inject it (or `app.get(KwsAsyncApi)`) to export the
 * document in CI; the `asyncapi` option serves it over HTTP. Built anew on each call.
 */
@Injectable()
export class KwsAsyncApi {
  /** @internal Built by Nest's injector. */
  constructor(
    private readonly registry: KwsListenerRegistry,
    private readonly catalog: KwsEndpointCatalog,
    private readonly modules: ModulesContainer,
  ) {}

  /** The document as JSON data. */
  async document(options: KwsAsyncApiDocumentOptions = {}): Promise<KwsAsyncApiDocument> {
    const sources: KwsAsyncApiSources = {
      endpoints: this.catalog.list(),
      registry: this.registry,
      emits: this.emits(),
      validator: await loadClassValidator(),
    };
    return buildAsyncApiDocument(sources, options);
  }

  /** The same document as YAML text. */
  async yaml(options: KwsAsyncApiDocumentOptions = {}): Promise<string> {
    return toYaml(await this.document(options));
  }

  /** `@KwsEmits` of every provider and controller class of the app, once per class. */
  private emits(): KwsAsyncApiSources['emits'] {
    const seen = new Set<Function>();
    const found: (KwsEmitsMetadata & { endpoint: string })[] = [];
    for (const module of this.modules.values()) {
      for (const wrapper of [...module.providers.values(), ...module.controllers.values()]) {
        const type = wrapper.metatype;
        if (typeof type !== 'function' || seen.has(type)) continue;
        seen.add(type);
        const metas = Reflect.getMetadata(KWS_EMITS_METADATA, type) as
          KwsEmitsMetadata[] | undefined;
        if (!metas) continue;
        const classEndpoint = Reflect.getMetadata(KWS_ENDPOINT_METADATA, type) as
          string | undefined;
        for (const meta of metas) {
          found.push({ ...meta, endpoint: meta.endpoint ?? classEndpoint ?? DEFAULT_ENDPOINT });
        }
      }
    }
    return found;
  }
}
