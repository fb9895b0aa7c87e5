import { HttpException, type CanActivate, type ExecutionContext, type Type } from '@nestjs/common';
import type { ModuleRef } from '@nestjs/core';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host.js';
import { isObservable, lastValueFrom } from 'rxjs';
import type { KwsInspectorGuard, KwsInspectorGuardFn } from './inspector-options.interface.js';

/** @internal The guard threw something that is not an `HttpException` (answered 500, logged). */
export class KwsInspectorGuardError extends Error {
  constructor(cause: unknown) {
    super('inspector guard failed', { cause });
  }
}

/** A guard class: a function whose prototype has `canActivate`. */
function isGuardClass(guard: KwsInspectorGuard): guard is Type<CanActivate> {
  return (
    typeof guard === 'function' &&
    typeof (guard.prototype as { canActivate?: unknown } | undefined)?.canActivate === 'function'
  );
}

/**
 * @internal Runs the app's guard for one HTTP request of the inspector, as Nest would for a
 * controller route (an `ExecutionContext` of type 'http' over the request and response). A guard
 * class is taken from the app's container when provided there, else instantiated with its
 * dependencies, once.
 */
export class KwsInspectorGate {
  private resolved: Promise<CanActivate | KwsInspectorGuardFn> | undefined;

  constructor(
    private readonly guard: KwsInspectorGuard,
    private readonly moduleRef: ModuleRef,
  ) {}

  /** Whether the guard lets this request through; throws what the guard throws. */
  async allows(request: unknown, response: unknown, handler: Function): Promise<boolean> {
    const guard = await (this.resolved ??= this.resolve());
    const context = new ExecutionContextHost(
      [request, response, undefined],
      KwsInspectorGate,
      handler,
    );
    context.setType('http');
    try {
      const verdict =
        typeof guard === 'function'
          ? guard(context as ExecutionContext)
          : guard.canActivate(context as ExecutionContext);
      const value = isObservable(verdict) ? await lastValueFrom(verdict) : await verdict;
      return value === true;
    } catch (error) {
      if (error instanceof HttpException) throw error;
      throw new KwsInspectorGuardError(error);
    }
  }

  private async resolve(): Promise<CanActivate | KwsInspectorGuardFn> {
    const guard = this.guard;
    if (!isGuardClass(guard)) return guard as CanActivate | KwsInspectorGuardFn;
    try {
      return this.moduleRef.get(guard, { strict: false });
    } catch {
      return this.moduleRef.create(guard);
    }
  }
}
