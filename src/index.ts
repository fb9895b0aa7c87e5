import 'reflect-metadata';

export { KwsModule } from './kws.module.js';
export { KWS_MODULE_OPTIONS, KWS_BROKER } from './kws.module-definition.js';
export { OnKwsEvent } from './decorators/on-kws-event.decorator.js';
export { KwsEvent, KwsMessageType, CloseCode } from './kws.constants.js';
export type { KwsBuiltInEvent } from './kws.constants.js';
export { Kws, type KwsData } from './connection/kws.js';
export { KwsOutbound } from './connection/kws-outbound.js';
export { KwsServer, type KwsBroadcastOptions } from './server/kws.server.js';
export { KwsConnectionPool } from './server/kws-connection-pool.js';
export { KwsListenerRegistry } from './listeners/kws-listener.registry.js';
export { LocalKwsBroker } from './broker/local-kws-broker.js';
export { KwsRedisBroker } from './cluster/redis-kws-broker.js';
export type {
  KwsClusterOptions,
  KwsRedisConnection,
  KwsRedisClientLike,
} from './cluster/kws-cluster-options.interface.js';
export {
  KwsAdapter,
  KwsTransport,
  type KwsAdapterOptions,
  type KwsConnectionCallback,
} from './transport/kws-adapter.js';
export type { KwsRouteParams } from './transport/path-matcher.js';
export * from './errors/index.js';
export type {
  KwsModuleOptions,
  KwsAllowUpgrade,
  KwsAttributes,
  KwsSlowConsumerPolicy,
} from './interfaces/kws-module-options.interface.js';
export type { KwsEventPayload, KwsListener } from './interfaces/kws-event-payload.interface.js';
export type { KwsBroker, KwsBrokerFactory } from './interfaces/kws-broker.interface.js';
