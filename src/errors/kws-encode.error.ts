import { KwsError } from './kws.error.js';

/**
 * Something to send could not be encoded (the parser threw: a BigInt, a cycle, data nested too
 * deep, an invalid event name). `cause` is the parser's own error. Nothing was sent.
 */
export class KwsEncodeError extends KwsError {}
