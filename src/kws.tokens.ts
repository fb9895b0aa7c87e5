/** Injection token of the endpoint's broker (the seam for cross-connection operations). */
export const KWS_BROKER = Symbol('KWS_BROKER');

/** @internal Injection token of what every connection of an endpoint shares (`KwsContext`). */
export const KWS_CONTEXT = Symbol('KWS_CONTEXT');

/** @internal Injection token of the endpoint's name ('' for the unnamed endpoint). */
export const KWS_ENDPOINT_NAME = Symbol('KWS_ENDPOINT_NAME');
