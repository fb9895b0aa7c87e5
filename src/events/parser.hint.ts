import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import type { KwsModuleOptions } from '../kws-module-options.interface.js';
import { RESERVED_EVENTS } from '../kws.constants.js';
import { NAMED_EVENTS_WITHOUT_PARSER } from '../kws.messages.js';
import { KWS_MODULE_OPTIONS } from '../kws.module-definition.js';
import { KWS_ENDPOINT_NAME } from '../kws.tokens.js';
import { KwsListenerRegistry } from './listener.registry.js';

/**
 * Warns at bootstrap when an endpoint has listeners of named events that clients may send but no
 * `parser`: its clients' named events would arrive as raw `message` frames and their requests
 * time out with no hint. A warning, not a failure: an app may fire those events server-side
 * (`kws.fire`) and read raw `message` frames on purpose.
 */
@Injectable()
export class KwsParserHint implements OnApplicationBootstrap {
  private readonly logger = new Logger('KwsModule');

  constructor(
    @Inject(KWS_MODULE_OPTIONS) private readonly options: KwsModuleOptions,
    @Inject(KWS_ENDPOINT_NAME) private readonly name: string,
    private readonly registry: KwsListenerRegistry,
  ) {}

  onApplicationBootstrap(): void {
    if (this.options.parser !== undefined) return;
    const named = this.registry
      .events(this.name)
      .filter(
        (event) =>
          !RESERVED_EVENTS.has(event) &&
          this.registry.get(event, this.name).some((entry) => entry.fromClient),
      );
    if (named.length > 0) this.logger.warn(NAMED_EVENTS_WITHOUT_PARSER(this.name, named));
  }
}
