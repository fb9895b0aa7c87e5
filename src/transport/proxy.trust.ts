import { BlockList, isIP } from 'node:net';
import { KwsError } from '../errors/kws.error.js';
import { INVALID_OPTION } from '../kws.messages.js';

/** Whether the hop at `address` (0 = the socket's peer) is a proxy of yours. */
export type KwsTrustProxy = (address: string, hop: number) => boolean;

const PRESETS: Record<string, string[]> = {
  loopback: ['127.0.0.1/8', '::1/128'],
  linklocal: ['169.254.0.0/16', 'fe80::/10'],
  uniquelocal: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
};
const EXPECTED =
  'true, a hop count, or trusted proxy addresses/CIDRs ("loopback", "10.0.0.0/8"...) as a list or a comma-separated string, or a function';

/**
 * Compiles `trustProxy` with Express's `trust proxy` semantics: `true` trusts every hop (kws.ip
 * is the left-most `X-Forwarded-For` entry, which a client can forge), a number trusts that many
 * hops from the socket, addresses/CIDRs trust those proxies; `false`/absent trusts none.
 */
export function compileTrust(option: unknown): KwsTrustProxy | undefined {
  if (option === undefined || option === false) return undefined;
  if (option === true) return () => true;
  if (typeof option === 'number') {
    if (!Number.isInteger(option) || option < 0) {
      throw new KwsError(INVALID_OPTION('trustProxy', option, EXPECTED));
    }
    return option === 0 ? undefined : (_address, hop) => hop < option;
  }
  if (typeof option === 'function') return (address, hop) => option(address, hop) === true;
  const entries =
    typeof option === 'string' ? option.split(',') : Array.isArray(option) ? option : undefined;
  if (!entries) throw new KwsError(INVALID_OPTION('trustProxy', option, EXPECTED));
  const list = new BlockList();
  for (const raw of entries) {
    const entry = typeof raw === 'string' ? raw.trim() : raw;
    if (typeof entry !== 'string') throw new KwsError(INVALID_OPTION('trustProxy', raw, EXPECTED));
    for (const range of PRESETS[entry] ?? [entry]) {
      if (!addRange(list, range)) throw new KwsError(INVALID_OPTION('trustProxy', entry, EXPECTED));
    }
  }
  return (address) => {
    const family = isIP(address);
    return family !== 0 && list.check(address, family === 4 ? 'ipv4' : 'ipv6');
  };
}

/**
 * The client's address: walk from the socket's peer leftwards through `X-Forwarded-For` while the
 * current hop is trusted (right to left, as Express does). An entry that is not an IP address
 * ends the walk: the address is then the last valid hop before it, never the forged text.
 */
export function clientAddress(
  socketAddress: string,
  forwardedFor: string | string[] | undefined,
  trust: KwsTrustProxy | undefined,
): string {
  let address = plain(socketAddress);
  if (!trust || forwardedFor === undefined) return address;
  const header = Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor;
  const hops = header.split(',');
  for (let hop = 0, i = hops.length - 1; i >= 0; hop++, i--) {
    if (!trust(address, hop)) break;
    const next = plain(hops[i].trim());
    if (isIP(next) === 0) break;
    address = next;
  }
  return address;
}

/** `::ffff:10.0.0.1` is 10.0.0.1. */
function plain(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

function addRange(list: BlockList, range: string): boolean {
  const slash = range.indexOf('/');
  const address = slash < 0 ? range : range.slice(0, slash);
  const family = isIP(address);
  if (family === 0) return false;
  const type = family === 4 ? 'ipv4' : 'ipv6';
  if (slash < 0) {
    list.addAddress(address, type);
    return true;
  }
  const prefix = Number(range.slice(slash + 1));
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > (family === 4 ? 32 : 128)) return false;
  list.addSubnet(address, prefix, type);
  return true;
}
