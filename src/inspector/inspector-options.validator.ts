import { KwsError } from '../errors/kws.error.js';
import {
  INSPECTOR_WITHOUT_GUARD,
  INSPECTOR_WITHOUT_METRICS,
  INVALID_OPTION,
} from '../kws.messages.js';
import type { KwsInspectorOptions } from './inspector-options.interface.js';

/** Checks `inspector` at bootstrap: an object with a guard (secure by default), a path, an interval. */
export function validateInspectorOptions(inspector: unknown, metrics: unknown): void {
  if (inspector === undefined || inspector === false) return;
  if (metrics === false) throw new KwsError(INSPECTOR_WITHOUT_METRICS);
  if (typeof inspector !== 'object' || inspector === null || Array.isArray(inspector)) {
    throw new KwsError(INVALID_OPTION('inspector', inspector, 'an object with a guard'));
  }
  const { guard, path, sampleInterval } = inspector as KwsInspectorOptions;
  const guardOk =
    typeof guard === 'function' ||
    (typeof guard === 'object' &&
      guard !== null &&
      typeof (guard as { canActivate?: unknown }).canActivate === 'function');
  if (!guardOk) throw new KwsError(INSPECTOR_WITHOUT_GUARD);
  if (
    path !== undefined &&
    (typeof path !== 'string' ||
      !/^\/[A-Za-z0-9._~\-/]*$/.test(path) ||
      path.includes('//') ||
      (path.length > 1 && path.endsWith('/')))
  ) {
    throw new KwsError(
      INVALID_OPTION(
        'inspector.path',
        path,
        "a URL path starting with '/', without a trailing '/'",
      ),
    );
  }
  if (
    sampleInterval !== undefined &&
    !(Number.isInteger(sampleInterval) && sampleInterval >= 100 && sampleInterval <= 3_600_000)
  ) {
    throw new KwsError(
      INVALID_OPTION('inspector.sampleInterval', sampleInterval, 'an integer of 100 to 3600000 ms'),
    );
  }
}
