import type { KwsListenerOrigin } from '../events/listener.registry.js';
import type { JsonSchema, KwsClassSchemas } from './class.schema.js';

// Nest's ROUTE_ARGS_METADATA key and @nestjs/websockets' WsParamtype.PAYLOAD (`@MessageBody`).
const ROUTE_ARGS = '__routeArguments__';
const PAYLOAD_PARAM = '3';

/** What `@MessageBody(key?)` stores per parameter. */
interface ParamMetadata {
  index: number;
  data?: unknown;
}

/**
 * The schema of the `data` a listener method accepts, from its `@MessageBody()` parameters
 * (`@MessageBody('key')` ones make an object of those keys); undefined when none says anything.
 */
export function listenerDataSchema(
  origin: KwsListenerOrigin,
  classes: KwsClassSchemas,
): JsonSchema | undefined {
  const args = (Reflect.getMetadata(ROUTE_ARGS, origin.type, origin.method) ?? {}) as Record<
    string,
    ParamMetadata
  >;
  const types = (Reflect.getMetadata('design:paramtypes', origin.type.prototype, origin.method) ??
    []) as unknown[];
  let whole: JsonSchema | undefined;
  const keyed: Record<string, JsonSchema> = {};
  for (const [key, param] of Object.entries(args)) {
    if (key.split(':')[0] !== PAYLOAD_PARAM) continue;
    const schema = classes.ofType(types[param.index]) ?? {};
    if (typeof param.data === 'string') keyed[param.data] = schema;
    else whole ??= schema;
  }
  if (whole) return whole;
  if (Object.keys(keyed).length) return { type: 'object', properties: keyed };
  return undefined;
}

/** The schema of what the method returns (its acknowledgement), when its type is a DTO class. */
export function listenerReplySchema(
  origin: KwsListenerOrigin,
  classes: KwsClassSchemas,
): JsonSchema | undefined {
  return classes.ofType(
    Reflect.getMetadata('design:returntype', origin.type.prototype, origin.method),
  );
}
