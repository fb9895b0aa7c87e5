import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { KwsModuleOptions } from './kws-module-options.interface.js';

export const {
  ConfigurableModuleClass: ConfigurableKwsModule,
  MODULE_OPTIONS_TOKEN: KWS_MODULE_OPTIONS,
  OPTIONS_TYPE: KWS_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: KWS_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<KwsModuleOptions>({ moduleName: 'Kws' })
  .setClassMethodName('forRoot')
  .setExtras({ isGlobal: true }, (definition, extras) => ({
    ...definition,
    global: extras.isGlobal,
  }))
  .build();

/** Injection token of the endpoint's broker (the seam for cross-connection operations). */
export const KWS_BROKER = Symbol('KWS_BROKER');
