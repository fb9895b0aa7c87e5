import { KwsError } from './kws.error.js';

/** A client sent a packet that breaks the named-events protocol (reported as an `error` event). */
export class KwsProtocolError extends KwsError {}
