import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, ModuleRef } from '@nestjs/core';
import type { InstanceWrapper } from '@nestjs/core/injector/instance-wrapper.js';
import { DEFAULT_ENDPOINT, KWS_ENDPOINT_METADATA } from '../kws.constants.js';
import { SCOPED_CHANNEL_HANDLER } from '../kws.messages.js';
import { KwsListenerContextCreator } from '../events/listener-context.creator.js';
import { KWS_CHANNEL_METADATA } from './channel.constants.js';
import { KwsChannelRegistry } from './channel.registry.js';
import type { KwsChannelHandlerMetadata } from './on-kws-channel.decorator.js';

type Constructor = abstract new (...args: never[]) => object;

/**
 * Finds every `@OnKwsJoin`, `@OnKwsChannelEvent` and `@OnKwsLeave` method, wraps it once in Nest's
 * pipeline (the same context creator as `@OnKwsEvent`) and registers it. Request-scoped providers
 * are not supported for channel handlers: they are skipped with a warning.
 */
@Injectable()
export class KwsChannelExplorer implements OnModuleInit {
  private readonly logger = new Logger('KwsModule');

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly registry: KwsChannelRegistry,
    private readonly contextCreator: KwsListenerContextCreator,
    private readonly moduleRef: ModuleRef,
  ) {}

  async onModuleInit(): Promise<void> {
    const wrappers = [...this.discovery.getProviders(), ...this.discovery.getControllers()];
    for (const wrapper of wrappers) await this.explore(wrapper);
  }

  private async explore(wrapper: InstanceWrapper): Promise<void> {
    if (wrapper.isAlias || !wrapper.instance || typeof wrapper.instance !== 'object') return;
    const type = wrapper.instance.constructor as Constructor;
    const handlers = this.handlerMethods(type.prototype as object);
    if (handlers.length === 0) return;
    if (!wrapper.isDependencyTreeStatic()) {
      this.logger.warn(SCOPED_CHANNEL_HANDLER(type.name));
      return;
    }
    const classEndpoint = Reflect.getMetadata(KWS_ENDPOINT_METADATA, type) as string | undefined;
    const instance = wrapper.isTransient
      ? await this.moduleRef.resolve(type, undefined, { strict: false })
      : (wrapper.instance as object);
    for (const [method, metas] of handlers) {
      const listener = this.contextCreator.create(instance, method);
      for (const meta of metas) {
        const endpoint = meta.endpoint ?? classEndpoint ?? DEFAULT_ENDPOINT;
        if (meta.kind === 'join') {
          this.registry.addJoin(meta.pattern, listener, endpoint, meta.history);
        } else if (meta.kind === 'leave') {
          this.registry.addLeave(meta.pattern, listener, endpoint);
        } else {
          this.registry.addEvent(meta.pattern, meta.event!, listener, endpoint);
        }
      }
    }
  }

  private handlerMethods(prototype: object): [string, KwsChannelHandlerMetadata[]][] {
    const found: [string, KwsChannelHandlerMetadata[]][] = [];
    for (const name of this.scanner.getAllMethodNames(prototype)) {
      const method = (prototype as Record<string, unknown>)[name];
      if (typeof method !== 'function') continue;
      const metas = Reflect.getMetadata(KWS_CHANNEL_METADATA, method) as
        KwsChannelHandlerMetadata[] | undefined;
      if (metas?.length) found.push([name, metas]);
    }
    return found;
  }
}
