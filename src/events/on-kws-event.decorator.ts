import { KWS_LISTENER_METADATA } from '../kws.constants.js';

/**
 * Marks a method of a provider or controller as a listener of one or more kws events
 * (`KwsEvent.*` or any custom name). Several methods may listen to the same event.
 */
export function OnKwsEvent(event: string | readonly string[]): MethodDecorator {
  const events = typeof event === 'string' ? [event] : [...event];
  return (_target, _key, descriptor) => {
    const method = descriptor.value as object;
    const previous: string[] = Reflect.getMetadata(KWS_LISTENER_METADATA, method) ?? [];
    Reflect.defineMetadata(KWS_LISTENER_METADATA, [...previous, ...events], method);
    return descriptor;
  };
}
