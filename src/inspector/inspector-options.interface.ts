import type { CanActivate, ExecutionContext, Type } from '@nestjs/common';
import type { Observable } from 'rxjs';

/** A guard function: the request passes when it returns (or resolves to) `true`. */
export type KwsInspectorGuardFn = (
  context: ExecutionContext,
) => boolean | Promise<boolean> | Observable<boolean>;

/** Who may see the inspection page: a Nest guard class, a guard instance, or a guard function. */
export type KwsInspectorGuard = Type<CanActivate> | CanActivate | KwsInspectorGuardFn;

/** The `inspector` module option: an opt-in live page of the endpoint (docs/inspector.md). */
export interface KwsInspectorOptions {
  /**
   * Required: runs before every page and API request (an HTTP `ExecutionContext`); a request it
   * refuses gets 403 (or the status of the `HttpException` it throws).
   */
  guard: KwsInspectorGuard;
  /** URL path of the page; its JSON API lives under `${path}/api/`. Default `'/kws/inspect'`. */
  path?: string;
  /** Milliseconds between two samples of the charts (60 are kept). Default 5000 (5 minutes). */
  sampleInterval?: number;
}

/** Where the page is served without a `path`. */
export const DEFAULT_INSPECTOR_PATH = '/kws/inspect';
/** Default milliseconds between two chart samples. */
export const DEFAULT_SAMPLE_INTERVAL = 5000;
/** Samples kept per chart. */
export const INSPECTOR_SAMPLES = 60;
