import type { Server } from 'node:http';
import { KwsError } from '../errors/kws.error.js';
import { PATH_TAKEN } from '../kws.messages.js';

interface Claim {
  readonly path: string;
  readonly owner: string;
  readonly segments: readonly string[];
}

/** The paths claimed on each HTTP server, by every kws endpoint and KwsAdapter gateway on it. */
const claims = new WeakMap<Server, Set<Claim>>();

/**
 * Claims a WebSocket path on an HTTP server for `owner` (a description used in error messages,
 * e.g. `KwsModule endpoint "admin"`). Two claims overlap when some URL would match both (`/ws/:id`
 * and `/ws/admin` do): the second one throws a `KwsError` naming both owners. Returns the function
 * that releases the claim.
 */
export function claimPath(server: Server, path: string, owner: string): () => void {
  let taken = claims.get(server);
  if (!taken) claims.set(server, (taken = new Set()));
  const claim: Claim = { path, owner, segments: segmentsOf(path) };
  for (const other of taken) {
    if (overlap(claim.segments, other.segments)) {
      throw new KwsError(PATH_TAKEN(path, owner, other.path, other.owner));
    }
  }
  taken.add(claim);
  return () => {
    taken.delete(claim);
  };
}

/** Throws the same error as `claimPath` if `path` overlaps one of `others` (claimed elsewhere). */
export function refuseOverlap(
  path: string,
  owner: string,
  others: ReadonlyArray<{ path: string; owner: string }>,
): void {
  const segments = segmentsOf(path);
  for (const other of others) {
    if (overlap(segments, segmentsOf(other.path))) {
      throw new KwsError(PATH_TAKEN(path, owner, other.path, other.owner));
    }
  }
}

function segmentsOf(path: string): string[] {
  return path.split('/').filter((part) => part !== '');
}

function overlap(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  return a.every((part, i) => part === b[i] || part.startsWith(':') || b[i].startsWith(':'));
}
