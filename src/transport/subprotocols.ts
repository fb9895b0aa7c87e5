/**
 * The subprotocols of a kws handshake. The shipped client offers `kws` and, for a resume, its
 * token and offset as `kws-resume.<token>` and `kws-offset.<offset>`: in the
 * `Sec-WebSocket-Protocol` header, not the URL, so access logs and proxies that log query
 * strings never see a token (how Kubernetes carries bearer tokens to its WebSocket APIs).
 */
export const KWS_SUBPROTOCOL = 'kws';
export const RESUME_PROTOCOL = 'kws-resume.';
export const OFFSET_PROTOCOL = 'kws-offset.';

/**
 * `ws`'s `handleProtocols`: the first protocol offered that is not a resume entry (a token is
 * never echoed back); `kws` when the app's client offered none of its own.
 */
export function selectSubprotocol(protocols: Set<string>): string | false {
  for (const protocol of protocols) {
    if (!protocol.startsWith(RESUME_PROTOCOL) && !protocol.startsWith(OFFSET_PROTOCOL)) {
      return protocol;
    }
  }
  return false;
}
