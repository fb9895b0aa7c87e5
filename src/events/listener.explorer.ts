import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { ContextIdFactory, DiscoveryService, MetadataScanner, ModuleRef } from '@nestjs/core';
import type { InstanceWrapper } from '@nestjs/core/injector/instance-wrapper.js';
import {
  CONNECT_GUARDS,
  DEFAULT_ENDPOINT,
  KwsEvent,
  KWS_ENDPOINT_METADATA,
  KWS_LISTENER_METADATA,
} from '../kws.constants.js';
import { KwsError } from '../errors/kws.error.js';
import { SCOPED_LISTENER, UNDECLARED_ENDPOINT } from '../kws.messages.js';
import type { KwsEventPayload, KwsListener } from './kws-event-payload.interface.js';
import { KwsListenerContextCreator } from './listener-context.creator.js';
import { KwsListenerRegistry } from './listener.registry.js';
import type { KwsListenerMetadata } from './on-kws-event.decorator.js';

type Constructor = abstract new (...args: never[]) => object;

/**
 * Finds every `@OnKwsEvent` method of every provider and controller, wraps it in Nest's pipeline
 * and registers it. Transient providers get one instance of their own for their listeners;
 * request-scoped ones (and those depending on one) a fresh instance per event, as
 * `@nestjs/event-emitter` does, with the event's payload as the `REQUEST`.
 */
@Injectable()
export class KwsListenerExplorer implements OnModuleInit {
  private readonly logger = new Logger('KwsModule');

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly registry: KwsListenerRegistry,
    private readonly contextCreator: KwsListenerContextCreator,
    private readonly moduleRef: ModuleRef,
  ) {}

  async onModuleInit(): Promise<void> {
    const wrappers = [...this.discovery.getProviders(), ...this.discovery.getControllers()];
    for (const wrapper of wrappers) this.checkEndpoints(wrapper);
    for (const wrapper of wrappers) await this.explore(wrapper);
  }

  /**
   * A listener on an endpoint no KwsModule declares would never run: fail at bootstrap, naming
   * it. Every module's endpoint name is declared when its providers are built, before any
   * `onModuleInit`.
   */
  private checkEndpoints(wrapper: InstanceWrapper): void {
    if (wrapper.isAlias || !wrapper.instance || typeof wrapper.instance !== 'object') return;
    const type = wrapper.instance.constructor as Constructor;
    const listeners = this.listenerMethods(type.prototype as object);
    if (listeners.length === 0) return;
    const declared = this.registry.declaredEndpoints();
    const classEndpoint = Reflect.getMetadata(KWS_ENDPOINT_METADATA, type) as string | undefined;
    for (const [method, metas] of listeners) {
      for (const meta of metas) {
        const endpoint = meta.endpoint ?? classEndpoint ?? DEFAULT_ENDPOINT;
        if (declared.includes(endpoint)) continue;
        const where =
          meta.endpoint !== undefined
            ? `@OnKwsEvent(${JSON.stringify(meta.event)}, { endpoint }) on ${type.name}.${method}`
            : classEndpoint !== undefined
              ? `@OnKwsEndpoint(${JSON.stringify(classEndpoint)}) on ${type.name}`
              : `@OnKwsEvent(${JSON.stringify(meta.event)}) on ${type.name}.${method}`;
        throw new KwsError(UNDECLARED_ENDPOINT(where, endpoint, declared));
      }
    }
  }

  private async explore(wrapper: InstanceWrapper): Promise<void> {
    // Aliases (useExisting) point at an instance that is explored under its own token.
    if (wrapper.isAlias || !wrapper.instance || typeof wrapper.instance !== 'object') return;
    const type = wrapper.instance.constructor as Constructor;
    const listeners = this.listenerMethods(type.prototype as object);
    if (listeners.length === 0) return;
    const classEndpoint = Reflect.getMetadata(KWS_ENDPOINT_METADATA, type) as string | undefined;
    const register = (meta: KwsListenerMetadata, listener: KwsListener, method: string): void =>
      this.registry.add(
        meta.event,
        listener,
        meta.endpoint ?? classEndpoint ?? DEFAULT_ENDPOINT,
        meta.fromClient,
        { type, method },
      );

    if (!wrapper.isDependencyTreeStatic()) {
      this.logger.log(SCOPED_LISTENER(type.name));
      for (const [method, metas] of listeners) {
        const listener = this.perEventInstance(wrapper, type, method);
        for (const meta of metas) register(meta, listener, method);
      }
      return;
    }
    // A transient provider's `instance` is a bare prototype whose constructor never ran.
    const instance = wrapper.isTransient
      ? await this.moduleRef.resolve(type, undefined, { strict: false })
      : (wrapper.instance as object);
    for (const [method, metas] of listeners) {
      const listener = this.contextCreator.create(instance, method);
      for (const meta of metas) {
        register(meta, listener, method);
        if (meta.event === KwsEvent.Connect) this.registerGuardCheck(instance, method, meta);
      }
    }
  }

  /** A `connect` listener's guards, run again by a resume (see CONNECT_GUARDS). */
  private registerGuardCheck(instance: object, method: string, meta: KwsListenerMetadata): void {
    const check = this.contextCreator.createGuardCheck(instance, method);
    if (!check) return;
    const endpoint =
      meta.endpoint ??
      (Reflect.getMetadata(KWS_ENDPOINT_METADATA, instance.constructor) as string | undefined) ??
      DEFAULT_ENDPOINT;
    this.registry.add(CONNECT_GUARDS, check, endpoint, false);
  }

  /** A listener that resolves its own instance (and pipeline) for every event. */
  private perEventInstance(
    wrapper: InstanceWrapper,
    type: Constructor,
    method: string,
  ): KwsListener {
    return async (payload: KwsEventPayload) => {
      const contextId = ContextIdFactory.create();
      this.moduleRef.registerRequestByContextId(payload, contextId);
      const instance = await this.moduleRef.resolve(type, contextId, { strict: false });
      return this.contextCreator.create(instance, method, contextId, wrapper.id)(payload);
    };
  }

  private listenerMethods(prototype: object): [string, KwsListenerMetadata[]][] {
    const found: [string, KwsListenerMetadata[]][] = [];
    for (const name of this.scanner.getAllMethodNames(prototype)) {
      const method = (prototype as Record<string, unknown>)[name];
      if (typeof method !== 'function') continue;
      const metas = Reflect.getMetadata(KWS_LISTENER_METADATA, method) as
        KwsListenerMetadata[] | undefined;
      if (metas?.length) found.push([name, dedupe(metas)]);
    }
    return found;
  }
}

/** One registration per event and endpoint, however often the decorator named it. */
function dedupe(metas: KwsListenerMetadata[]): KwsListenerMetadata[] {
  const seen = new Set<string>();
  return metas.filter((meta) => {
    const key = `${meta.endpoint ?? ''}\u0000${meta.event}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
