import type { ModulesContainer } from '@nestjs/core';

// @nestjs/websockets' metadata keys (kept here so the module does not import its internals).
const GATEWAY_METADATA = 'websockets:is_gateway';
const GATEWAY_OPTIONS = 'websockets:gateway_options';
const PORT_METADATA = 'port';

/** A `@WebSocketGateway` that serves an explicit path on the app's own HTTP server. */
export interface GatewayPath {
  readonly path: string;
  readonly owner: string;
}

/**
 * The explicit paths of the app's `@WebSocketGateway`s on its HTTP server (port 0), whatever
 * adapter serves them (platform-ws, socket.io, KwsAdapter): a KwsModule endpoint on one of them
 * would take its upgrades, so bootstrap refuses it instead.
 */
export function gatewayPaths(modules: ModulesContainer): GatewayPath[] {
  const found: GatewayPath[] = [];
  const seen = new Set<unknown>();
  for (const moduleRef of modules.values()) {
    for (const wrapper of moduleRef.providers.values()) {
      const type = wrapper.metatype as (abstract new (...args: never[]) => unknown) | undefined;
      if (!type || typeof type !== 'function' || seen.has(type)) continue;
      seen.add(type);
      if (!Reflect.getMetadata(GATEWAY_METADATA, type)) continue;
      const port: unknown = Reflect.getMetadata(PORT_METADATA, type);
      if (typeof port === 'number' && port > 0) continue;
      const options = Reflect.getMetadata(GATEWAY_OPTIONS, type) as { path?: unknown } | undefined;
      if (typeof options?.path !== 'string') continue;
      found.push({ path: options.path, owner: `@WebSocketGateway ${type.name}` });
    }
  }
  return found;
}
