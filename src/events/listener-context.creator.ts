import { Injectable } from '@nestjs/common';
import {
  CUSTOM_ROUTE_ARGS_METADATA,
  EXCEPTION_FILTERS_METADATA,
  GUARDS_METADATA,
  INTERCEPTORS_METADATA,
  PIPES_METADATA,
  ROUTE_ARGS_METADATA,
} from '@nestjs/common/constants.js';
import { ExternalContextCreator, type ContextId } from '@nestjs/core';
import { ExternalExceptionFilterContext } from '@nestjs/core/exceptions/external-exception-filter-context.js';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host.js';
import type { KwsEventPayload, KwsListener } from './kws-event-payload.interface.js';
import { listenerArgs, PAYLOAD_ARG_INDEX } from './listener-args.js';
import { KwsParamsFactory } from './kws-params.factory.js';

/** Where a method without param decorators gets its default: the payload object as argument 0. */
const DEFAULT_PARAMS_METADATA = 'kws:default-params';
/** Marks a listener whose errors Nest's own exception handler logs (the fallback below). */
const NEST_LOGS = Symbol('kws:nest-logs');
/** A metadata key nothing defines: a guard check takes no parameters (no pipes run). */
const NO_PARAMS_METADATA = 'kws:no-params';
const ENHANCER_KEYS = [
  GUARDS_METADATA,
  INTERCEPTORS_METADATA,
  PIPES_METADATA,
  EXCEPTION_FILTERS_METADATA,
];

/** The part of Nest's `ExternalExceptionsHandler` used here: the filters, without its logging. */
interface FilterHandler {
  invokeCustomFilters(exception: unknown, host: ExecutionContextHost): unknown;
}

interface GlobalEnhancers {
  getGlobalGuards(): unknown[];
  getGlobalInterceptors(): unknown[];
  getGlobalPipes(): unknown[];
  getGlobalFilters(): unknown[];
  getGlobalRequestGuards(): unknown[];
  getGlobalRequestInterceptors(): unknown[];
  getGlobalRequestPipes(): unknown[];
  getGlobalRequestFilters(): unknown[];
}

/**
 * Wraps each `@OnKwsEvent` method once, at bootstrap, in Nest's handler pipeline (guards →
 * interceptors → pipes per parameter → the method, inside exception filters), as
 * `@nestjs/websockets` does for gateways. A method with no enhancer anywhere (method, class or
 * app) and no param decorator is called directly: it costs what a plain function call costs.
 */
@Injectable()
export class KwsListenerContextCreator {
  private readonly paramsFactory = new KwsParamsFactory();

  constructor(private readonly externalContextCreator: ExternalContextCreator) {}

  create(
    instance: object,
    methodName: string,
    contextId?: ContextId,
    inquirerId?: string,
  ): KwsListener {
    const method = (instance as Record<string, (...args: unknown[]) => unknown>)[methodName];
    const hasParams = this.hasParamDecorators(instance, methodName);
    if (!hasParams && !this.hasEnhancers(instance, method)) {
      return method.bind(instance) as KwsListener;
    }
    const metadataKey = hasParams ? ROUTE_ARGS_METADATA : this.defaultParams(instance, methodName);
    const filters = this.exceptionFilters(instance, method, contextId, inquirerId);
    const pipeline = this.externalContextCreator.create(
      instance as never,
      method,
      methodName,
      metadataKey,
      this.paramsFactory,
      contextId,
      inquirerId,
      { guards: true, interceptors: true, filters: filters === undefined },
      'ws',
    );
    if (filters === undefined) {
      const listener = (payload: KwsEventPayload) => pipeline(...listenerArgs(payload));
      return Object.defineProperty(listener, NEST_LOGS, { value: true });
    }
    const filtered = async (...args: unknown[]): Promise<unknown> => {
      try {
        return await pipeline(...args);
      } catch (error) {
        const host = new ExecutionContextHost(args, instance.constructor as never, method);
        host.setType('ws');
        const handled = filters.invokeCustomFilters(error, host);
        if (handled !== undefined) return handled;
        throw error;
      }
    };
    return (payload: KwsEventPayload) => filtered(...listenerArgs(payload));
  }

  /**
   * The method's exception filters (its own, its class's, the app's), without Nest's fallback:
   * Nest's `ExternalExceptionFilter` logs every error no filter handled, a `WsException` included,
   * one stack per message a client sends. Those errors go back to the dispatcher instead, which
   * logs them through its limiter, and Nest's exceptions (answers) not at all. Undefined when this
   * Nest no longer has what is read here: Nest's own handling (and logging) then applies.
   */
  private exceptionFilters(
    instance: object,
    method: (...args: unknown[]) => unknown,
    contextId: ContextId | undefined,
    inquirerId: string | undefined,
  ): FilterHandler | undefined {
    const container = this.nestContainer();
    if (!container) return undefined;
    try {
      const context = new ExternalExceptionFilterContext(
        container as never,
        container.applicationConfig as never,
      );
      const moduleKey = this.externalContextCreator.getContextModuleKey(instance.constructor);
      const handler = context.create(
        instance as never,
        method as never,
        moduleKey,
        contextId,
        inquirerId,
      ) as unknown as Partial<FilterHandler>;
      return typeof handler.invokeCustomFilters === 'function'
        ? (handler as FilterHandler)
        : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * The guards of a `connect` listener alone (method, class and global), without the method: what
   * a resume runs again before anything is replayed. Undefined when it has none.
   */
  createGuardCheck(instance: object, methodName: string): KwsListener | undefined {
    const method = (instance as Record<string, object>)[methodName];
    const own = Reflect.getMetadata(GUARDS_METADATA, method) as unknown[] | undefined;
    const global = this.globalEnhancers();
    const guarded =
      hasItems(own) ||
      hasItems(Reflect.getMetadata(GUARDS_METADATA, instance.constructor)) ||
      global === undefined ||
      global.getGlobalGuards().length > 0 ||
      global.getGlobalRequestGuards().length > 0;
    if (!guarded) return undefined;
    // Nest reads a handler's guards from the function it wraps: a stand-in carries the method's.
    const standIn = function guardsOnly(): undefined {
      return undefined;
    };
    Reflect.defineMetadata(GUARDS_METADATA, own ?? [], standIn);
    const check = this.externalContextCreator.create(
      instance as never,
      standIn,
      methodName,
      NO_PARAMS_METADATA,
      this.paramsFactory,
      undefined,
      undefined,
      { guards: true, interceptors: false, filters: false },
      'ws',
    );
    return (payload: KwsEventPayload) => check(...listenerArgs(payload));
  }

  private hasParamDecorators(instance: object, methodName: string): boolean {
    const metadata = Reflect.getMetadata(ROUTE_ARGS_METADATA, instance.constructor, methodName);
    return metadata !== undefined && Object.keys(metadata as object).length > 0;
  }

  private hasEnhancers(instance: object, method: object): boolean {
    for (const key of ENHANCER_KEYS) {
      if (
        hasItems(Reflect.getMetadata(key, method)) ||
        hasItems(Reflect.getMetadata(key, instance.constructor))
      ) {
        return true;
      }
    }
    const config = this.globalEnhancers();
    if (!config) return true; // cannot tell: take the full pipeline, which is always right
    return (
      config.getGlobalGuards().length > 0 ||
      config.getGlobalInterceptors().length > 0 ||
      config.getGlobalPipes().length > 0 ||
      config.getGlobalFilters().length > 0 ||
      config.getGlobalRequestGuards().length > 0 ||
      config.getGlobalRequestInterceptors().length > 0 ||
      config.getGlobalRequestPipes().length > 0 ||
      config.getGlobalRequestFilters().length > 0
    );
  }

  /** The app's global enhancers, read from Nest's container (checked, since it is not public API). */
  private globalEnhancers(): GlobalEnhancers | undefined {
    const config = this.nestContainer()?.applicationConfig;
    return config && typeof config.getGlobalRequestFilters === 'function' ? config : undefined;
  }

  /** Nest's container, which the context creator holds (not public API: checked where used). */
  private nestContainer(): { applicationConfig?: GlobalEnhancers } | undefined {
    return (
      this.externalContextCreator as unknown as {
        container?: { applicationConfig?: GlobalEnhancers };
      }
    ).container;
  }

  /** Declares "argument 0 is the payload object" (what `@KwsPayload()` declares) for a method. */
  private defaultParams(instance: object, methodName: string): string {
    Reflect.defineMetadata(
      DEFAULT_PARAMS_METADATA,
      {
        [`${CUSTOM_ROUTE_ARGS_METADATA}:kws-payload:0`]: {
          index: 0,
          data: undefined,
          pipes: [],
          factory: (_data: unknown, context: { getArgByIndex(index: number): unknown }) =>
            context.getArgByIndex(PAYLOAD_ARG_INDEX),
        },
      },
      instance.constructor,
      methodName,
    );
    return DEFAULT_PARAMS_METADATA;
  }
}

/** Whether Nest's own exception handler logs a listener's errors (the fallback of `create`). */
export function nestLogsFailures(listener: KwsListener): boolean {
  return (listener as unknown as Record<symbol, unknown>)[NEST_LOGS] === true;
}

function hasItems(value: unknown): boolean {
  return Array.isArray(value) && value.length > 0;
}
