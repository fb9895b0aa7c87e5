import { KwsAsyncApi } from './asyncapi/kws-asyncapi.js';
import { ConfigurableModuleBuilder, Inject, type Provider } from '@nestjs/common';
import type { KwsModuleOptions } from './kws-module-options.interface.js';
import { KwsListenerRegistry } from './events/listener.registry.js';
import { KwsServer } from './server/kws.server.js';
import { KWS_ENDPOINT_NAME } from './kws.tokens.js';

export { KWS_BROKER } from './kws.tokens.js';

/** The injection token of a named endpoint's `KwsServer` (the class itself for the unnamed one). */
export function getKwsServerToken(name?: string): string | typeof KwsServer {
  return name ? `KwsServer:${name}` : KwsServer;
}

/** Injects the `KwsServer` of a named endpoint: `@InjectKwsServer('admin') admin: KwsServer`. */
export function InjectKwsServer(name?: string): PropertyDecorator & ParameterDecorator {
  return Inject(getKwsServerToken(name));
}

export const {
  ConfigurableModuleClass: ConfigurableKwsModule,
  MODULE_OPTIONS_TOKEN: KWS_MODULE_OPTIONS,
  OPTIONS_TYPE: KWS_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: KWS_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<KwsModuleOptions>({ moduleName: 'Kws' })
  .setClassMethodName('forRoot')
  .setExtras<{ isGlobal: boolean; name?: string }>(
    { isGlobal: true, name: undefined },
    (definition, { isGlobal, name }) => {
      // Declared in the app's one registry as the module is built: a duplicate name fails here.
      const endpointName: Provider = {
        provide: KWS_ENDPOINT_NAME,
        useFactory: (registry: KwsListenerRegistry) => {
          registry.declareEndpoint(name ?? '');
          return name ?? '';
        },
        inject: [KwsListenerRegistry],
      };
      // A named endpoint exports its server under its own token, so several can live side by side.
      const named: Provider[] = name
        ? [{ provide: getKwsServerToken(name), useExisting: KwsServer }]
        : [];
      return {
        ...definition,
        global: isGlobal,
        providers: [...(definition.providers ?? []), endpointName, ...named],
        exports: [name ? getKwsServerToken(name) : KwsServer, KwsAsyncApi],
      };
    },
  )
  .build();
