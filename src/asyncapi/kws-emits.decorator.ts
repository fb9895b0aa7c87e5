/** Metadata key of `@KwsEmits` on a class. */
export const KWS_EMITS_METADATA = 'kws:emits';

/** A payload description: a DTO class, or a JSON Schema object written by hand. */
export type KwsEmittedPayload =
  (abstract new (...args: never[]) => object) | Record<string, unknown>;

/** @internal One `@KwsEmits` declaration. */
export interface KwsEmitsMetadata {
  event: string;
  payload?: KwsEmittedPayload;
  endpoint?: string;
  description?: string;
}

/** Options of `@KwsEmits`. */
export interface KwsEmitsOptions {
  /** The endpoint (`forRoot({ name })`) whose clients receive it. Default: the class's `@OnKwsEndpoint`, else the unnamed one. */
  endpoint?: string;
  /** Shown with the message in the AsyncAPI document. */
  description?: string;
}

/**
 * Declares, for the AsyncAPI document only, an event this provider or controller sends to
 * clients (`emit`, `broadcast`, `emitTo`...) and its `data`: a DTO class (described from its
 * class-validator or `@nestjs/swagger` metadata) or a JSON Schema object. A typed event map
 * (`KwsServer<Events>`) is erased at compile time, so this is the one runtime trace of it.
 * Stack it once per event; it changes nothing at run time.
 */
export function KwsEmits(
  event: string,
  payload?: KwsEmittedPayload,
  options: KwsEmitsOptions = {},
): ClassDecorator {
  return (target) => {
    const previous: KwsEmitsMetadata[] = Reflect.getMetadata(KWS_EMITS_METADATA, target) ?? [];
    const entry: KwsEmitsMetadata = { event, payload, ...options };
    Reflect.defineMetadata(KWS_EMITS_METADATA, [...previous, entry], target);
  };
}
