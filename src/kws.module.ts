import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { LocalKwsBroker } from './broker/local.broker.js';
import { KwsRedisBroker } from './cluster/redis.broker.js';
import type { KwsModuleOptions } from './kws-module-options.interface.js';
import { ConfigurableKwsModule, KWS_BROKER, KWS_MODULE_OPTIONS } from './kws.module-definition.js';
import { KwsEventDispatcher } from './events/event.dispatcher.js';
import { KwsListenerExplorer } from './events/listener.explorer.js';
import { KwsListenerRegistry } from './events/listener.registry.js';
import { KwsConnectionPool } from './server/connection.pool.js';
import { KwsEndpoint } from './server/kws.endpoint.js';
import { KwsServer } from './server/kws.server.js';

/**
 * Socket.io-style events over plain WebSocket. `KwsModule.forRoot({ path: '/ws/:id' })` (or
 * `forRootAsync`) is all it takes: the endpoint attaches to the app's HTTP server at bootstrap.
 */
@Module({
  imports: [DiscoveryModule],
  providers: [
    KwsListenerRegistry,
    KwsListenerExplorer,
    KwsEventDispatcher,
    KwsConnectionPool,
    {
      provide: KWS_BROKER,
      useFactory: (options: KwsModuleOptions, pool: KwsConnectionPool) => {
        if (options.broker) return options.broker(pool);
        if (options.cluster) return new KwsRedisBroker(pool, options.cluster);
        return new LocalKwsBroker(pool);
      },
      inject: [KWS_MODULE_OPTIONS, KwsConnectionPool],
    },
    KwsServer,
    KwsEndpoint,
  ],
  exports: [KwsServer, KwsListenerRegistry],
})
export class KwsModule extends ConfigurableKwsModule {}
