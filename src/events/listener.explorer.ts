import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import type { InstanceWrapper } from '@nestjs/core/injector/instance-wrapper.js';
import { KWS_LISTENER_METADATA } from '../kws.constants.js';
import { REQUEST_SCOPED_LISTENER } from '../kws.messages.js';
import type { KwsListener } from './kws-event-payload.interface.js';
import { KwsListenerRegistry } from './listener.registry.js';

/** Finds every `@OnKwsEvent` method of every provider and controller and registers it. */
@Injectable()
export class KwsListenerExplorer implements OnModuleInit {
  private readonly logger = new Logger('KwsModule');

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly registry: KwsListenerRegistry,
  ) {}

  onModuleInit(): void {
    const wrappers = [...this.discovery.getProviders(), ...this.discovery.getControllers()];
    for (const wrapper of wrappers) this.explore(wrapper);
  }

  private explore(wrapper: InstanceWrapper): void {
    const { instance } = wrapper;
    // Aliases (useExisting) point at an instance that is explored under its own token.
    if (!instance || typeof instance !== 'object' || wrapper.isAlias) return;
    const prototype = Object.getPrototypeOf(instance) as object | null;
    if (!prototype) return;
    for (const methodName of this.scanner.getAllMethodNames(prototype)) {
      const method = (instance as Record<string, unknown>)[methodName];
      if (typeof method !== 'function') continue;
      const events: string[] | undefined = Reflect.getMetadata(KWS_LISTENER_METADATA, method);
      if (!events?.length) continue;
      if (!wrapper.isDependencyTreeStatic()) {
        this.logger.warn(REQUEST_SCOPED_LISTENER(instance.constructor.name));
        return;
      }
      const listener = method.bind(instance) as KwsListener;
      for (const event of new Set(events)) this.registry.add(event, listener);
    }
  }
}
