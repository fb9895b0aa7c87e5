import 'reflect-metadata';

export { KwsModule } from './kws.module.js';
export {
  KWS_MODULE_OPTIONS,
  KWS_BROKER,
  InjectKwsServer,
  getKwsServerToken,
} from './kws.module-definition.js';
export {
  OnKwsEvent,
  OnKwsEndpoint,
  type OnKwsEventOptions,
} from './events/on-kws-event.decorator.js';
export { KwsPayload } from './events/kws-payload.decorator.js';
export { JsonKwsParser } from './events/json.parser.js';
export type {
  KwsParser,
  KwsPacket,
  KwsEventPacket,
  KwsAckPacket,
  KwsAckErrorBody,
  KwsSessionPacket,
} from './events/kws-packet.interface.js';
export { KwsEvent, KwsMessageType, CloseCode } from './kws.constants.js';
export type { KwsBuiltInEvent } from './kws.constants.js';
export {
  Kws,
  KwsState,
  type KwsData,
  type KwsMessage,
  type KwsRequestOptions,
} from './connection/kws.js';
export { KwsServer, type KwsBroadcastOptions } from './server/kws.server.js';
export {
  OnKwsJoin,
  OnKwsChannelEvent,
  OnKwsLeave,
  type OnKwsJoinOptions,
  type OnKwsChannelHandlerOptions,
  type KwsChannelHistoryOptions,
} from './channels/on-kws-channel.decorator.js';
export { KwsChannelName, KwsChannelPayload } from './channels/channel.payload.js';
export {
  KwsChannels,
  type KwsChannelEmitter,
  type KwsChannelLeaveReason,
} from './channels/kws.channels.js';
export { KwsPresence } from './channels/kws.presence.js';
export {
  getKwsChannelsToken,
  getKwsPresenceToken,
  InjectKwsChannels,
  InjectKwsPresence,
} from './channels/channel.tokens.js';
export type {
  KwsPresenceDiff,
  KwsPresenceMeta,
  KwsPresenceState,
} from './channels/presence.types.js';
// One definition of a channel's types, shared with nestjs-kws/client/channels.
export type {
  KwsAnyChannelEvents,
  KwsChannelClientEvent,
  KwsChannelClientEvents,
  KwsChannelMap,
  KwsChannelParams,
  KwsChannelReply,
  KwsChannelServerEvents,
} from './client/channel-map.types.js';
export type { KwsChannelsOptions } from './channels/channels-options.interface.js';
export type {
  KwsHistoryMessage,
  KwsHistoryPage,
  KwsHistoryQuery,
} from './channels/history.store.js';
export { LocalKwsBroker } from './broker/local.broker.js';
export { KwsRedisBroker } from './cluster/redis.broker.js';
export type { KwsClusterGap } from './cluster/gap.detector.js';
export type {
  KwsClusterOptions,
  KwsRedisConnection,
  KwsRedisClientLike,
  KwsRedisClusterLike,
} from './cluster/kws-cluster-options.interface.js';
export { KwsAdapter, type KwsAdapterOptions } from './transport/kws.adapter.js';
export type { KwsRouteParams } from './transport/path.matcher.js';
export type { KwsOriginPredicate } from './transport/origin.check.js';
export * from './errors/index.js';
export type {
  KwsModuleOptions,
  KwsAllowUpgrade,
  KwsUpgradeInfo,
  KwsAttributes,
  KwsSlowConsumerPolicy,
} from './kws-module-options.interface.js';
export type { KwsEventPayload, KwsListener } from './events/kws-event-payload.interface.js';
export type {
  KwsRateLimitOptions,
  KwsRateLimitAction,
} from './transport/rate-limit-options.interface.js';
export type {
  KwsStatsSnapshot,
  KwsClusterSnapshot,
  KwsMetricsOptions,
  KwsPrometheusOptions,
  KwsPrometheusRegistry,
} from './metrics/kws-stats.interface.js';
export {
  KwsHealthIndicator,
  type KwsHealthIndicatorResult,
  type KwsHealthCheckOptions,
} from './health/kws.health-indicator.js';
// The broker seam: what a custom broker implements, and the node-local types it is handed.
export type { KwsBroker, KwsBrokerFactory } from './broker/kws-broker.interface.js';
export type { KwsPage, KwsPageQuery, KwsWalkOptions } from './broker/kws-page.interface.js';
export type {
  KwsPresenceEvent,
  KwsPresenceListener,
  KwsPresenceReason,
} from './broker/presence.js';
export type { KwsConnectionPool, KwsMembershipChange } from './server/connection.pool.js';
export type { KwsOutbound } from './connection/outbound.message.js';
export { KwsAsyncApi } from './asyncapi/kws-asyncapi.js';
export {
  KwsEmits,
  type KwsEmitsOptions,
  type KwsEmittedPayload,
} from './asyncapi/kws-emits.decorator.js';
export type {
  KwsAsyncApiOptions,
  KwsAsyncApiDocumentOptions,
  KwsAsyncApiDocument,
} from './asyncapi/asyncapi-options.interface.js';
// Types the API above refers to (so the API reference can link them).
export type { KwsGatewayServer } from './transport/kws.adapter.js';
export type { KwsRecoveryOptions } from './recovery/recovery-options.interface.js';
export type { KwsClusterStats } from './cluster/cluster-stats.interface.js';
export type { KwsDelivery } from './server/connection.pool.js';
export type { KwsListenable } from './events/on-kws-event.decorator.js';
export type {
  KwsEventsOr,
  KwsMessageOf,
  KwsPacketIn,
  KwsPacketOf,
} from './events/kws-event-map.types.js';
export type {
  KwsInspectorOptions,
  KwsInspectorGuard,
  KwsInspectorGuardFn,
} from './inspector/inspector-options.interface.js';
export type { KwsInspectorSample } from './inspector/stats.history.js';
export type { KwsConnectionDescription } from './connection/kws.description.js';
