import { randomBytes } from 'node:crypto';

/** An unguessable resume token: 192 random bits, URL-safe. */
export function newSessionToken(): string {
  return randomBytes(24).toString('base64url');
}
