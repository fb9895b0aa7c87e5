import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { KwsAsyncApiRoute } from './asyncapi/asyncapi.route.js';
import { KwsEndpointCatalog } from './asyncapi/endpoint.catalog.js';
import { KwsAsyncApi } from './asyncapi/kws-asyncapi.js';
import { LocalKwsBroker } from './broker/local.broker.js';
import { KwsRedisBroker } from './cluster/redis.broker.js';
import { KwsEventDispatcher } from './events/event.dispatcher.js';
import { KwsListenerContextCreator } from './events/listener-context.creator.js';
import { KwsListenerExplorer } from './events/listener.explorer.js';
import { KwsListenerRegistry } from './events/listener.registry.js';
import { KwsInspectorRoute } from './inspector/inspector.route.js';
import { KwsParserHint } from './events/parser.hint.js';
import type { KwsModuleOptions } from './kws-module-options.interface.js';
import { validateKwsOptions } from './kws-options.validator.js';
import { KwsPrometheus } from './metrics/kws.prometheus.js';
import { KwsStats } from './metrics/kws.stats.js';
import { ConfigurableKwsModule, KWS_MODULE_OPTIONS } from './kws.module-definition.js';
import { KWS_BROKER, KWS_CONTEXT, KWS_ENDPOINT_NAME } from './kws.tokens.js';
import { KwsConnectionPool } from './server/connection.pool.js';
import { createKwsContext } from './server/kws-context.factory.js';
import { KwsEndpoint } from './server/kws.endpoint.js';
import { KwsServer } from './server/kws.server.js';
import { KwsChannelExplorer } from './channels/channel.explorer.js';
import { KwsChannelRegistry } from './channels/channel.registry.js';
import { KwsChannels } from './channels/kws.channels.js';
import { KWS_CHANNEL_SETUP } from './channels/channel.constants.js';
import { channelBounds } from './channels/channels-options.validator.js';
import { KwsPresence } from './channels/kws.presence.js';
import { KwsTracing } from './telemetry/kws.tracing.js';

/**
 * @internal What every endpoint of the app shares, once: the listener registry and the discovery
 * that fills it (each `@OnKwsEvent` method is wrapped in Nest's pipeline once).
 */
@Module({
  imports: [DiscoveryModule],
  providers: [
    KwsListenerRegistry,
    KwsListenerContextCreator,
    KwsListenerExplorer,
    KwsEndpointCatalog,
    KwsChannelRegistry,
    KwsChannelExplorer,
  ],
  exports: [KwsListenerRegistry, KwsEndpointCatalog, KwsChannelRegistry],
})
export class KwsCoreModule {}

/**
 * Socket.io-style events over plain WebSocket. `KwsModule.forRoot({ path: '/ws/:id' })` (or
 * `forRootAsync`) is all it takes: the endpoint attaches to the app's HTTP server at bootstrap.
 * Each `forRoot` is one endpoint; give extra ones a `name`.
 */
@Module({
  imports: [KwsCoreModule],
  providers: [
    {
      provide: KwsEventDispatcher,
      useFactory: (registry: KwsListenerRegistry, name: string, options: KwsModuleOptions) =>
        new KwsEventDispatcher(registry, name, options.maxInFlight),
      inject: [KwsListenerRegistry, KWS_ENDPOINT_NAME, KWS_MODULE_OPTIONS],
    },
    KwsConnectionPool,
    {
      provide: KWS_BROKER,
      useFactory: (options: KwsModuleOptions, pool: KwsConnectionPool) => {
        // The first provider built from the options checks them, before anything acts on them.
        validateKwsOptions(options);
        if (options.broker) return options.broker(pool);
        if (options.cluster) return new KwsRedisBroker(pool, options.cluster);
        return new LocalKwsBroker(pool);
      },
      inject: [KWS_MODULE_OPTIONS, KwsConnectionPool],
    },
    {
      provide: KWS_CONTEXT,
      useFactory: createKwsContext,
      inject: [KWS_MODULE_OPTIONS, KWS_BROKER, KwsConnectionPool, KwsEventDispatcher, KwsStats],
    },
    KwsServer,
    {
      provide: KWS_CHANNEL_SETUP,
      useFactory: (options: KwsModuleOptions) => ({
        bounds: channelBounds(options.channels),
        cluster: options.broker ? undefined : options.cluster,
      }),
      inject: [KWS_MODULE_OPTIONS],
    },
    KwsChannels,
    {
      provide: KwsPresence,
      useFactory: (channels: KwsChannels) => channels.presence,
      inject: [KwsChannels],
    },
    KwsEndpoint,
    KwsStats,
    KwsPrometheus,
    KwsTracing,
    KwsParserHint,
    KwsAsyncApi,
    KwsAsyncApiRoute,
    KwsInspectorRoute,
  ],
})
export class KwsModule extends ConfigurableKwsModule {}
