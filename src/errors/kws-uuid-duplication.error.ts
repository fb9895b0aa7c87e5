import { UUID_DUPLICATION } from '../kws.messages.js';
import { KwsError } from './kws.error.js';

/** `setUUID` asked for a uuid another connection already holds; nothing was changed. */
export class KwsUUIDDuplicationError extends KwsError {
  constructor(readonly uuid: string) {
    super(UUID_DUPLICATION(uuid));
  }
}
