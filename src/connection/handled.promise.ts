/**
 * Marks a promise handled and returns it: a call nobody awaits cannot crash the process with an
 * unhandled rejection, while `await` (or `.catch`) still sees the error.
 */
export function markHandled<T>(promise: Promise<T>): Promise<T> {
  promise.catch(noop);
  return promise;
}

function noop(): void {}
