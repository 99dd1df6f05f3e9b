/**
 * The client's IP address behind trusted proxies (TRUST_PROXY), derived as Express's `trust proxy` (proxy-addr)
 * does: from the socket peer, walk X-Forwarded-For right to left while the current address is a trusted proxy.
 */
import { isIP } from 'node:net';
import { normalizeIp, type TrustProxy } from '../config';

/**
 * The IP address of the client of a request.
 *
 * The addresses of the request form a chain: the socket peer, then the X-Forwarded-For entries from the rightmost
 * (added by the nearest proxy) to the leftmost. Starting at the socket peer, while the current address is trusted,
 * the walk steps one entry left; the first untrusted address is the client. An address is trusted when
 * - `trust` is `hops` N: it is one of the N nearest (the socket peer is the first; 0 trusts nothing);
 * - `trust` is `addresses`: it falls within one of the configured ranges;
 * - `trust` is `none`: never (X-Forwarded-For is ignored entirely).
 * When every address is trusted, the leftmost entry is the client. A malformed entry (not an IP address, or empty)
 * stops the walk at the last good address, so entries left of it (which anyone can write) are never used.
 * Addresses are compared and returned normalized (`normalizeIp`: IPv4-mapped IPv6 `::ffff:1.2.3.4` is `1.2.3.4`).
 *
 * @param socketAddress the socket peer (`req.socket.remoteAddress`); undefined (a closed socket) gives ''.
 *   Returned as is when it is not an IP address `normalizeIp` accepts.
 * @param forwardedFor the X-Forwarded-For header: one comma-separated string, or several headers in the order
 *   received (read as one list); undefined when absent.
 * @param trust the parsed TRUST_PROXY setting (`Config.TRUST_PROXY`).
 */
export function deriveClientIp(socketAddress: string | undefined, forwardedFor: string | readonly string[] | undefined, trust: TrustProxy): string {
  const peer = socketAddress === undefined ? null : normalizeIp(socketAddress);
  if (peer === null) return socketAddress ?? '';
  if (trust.kind === 'none' || forwardedFor === undefined) return peer;
  const header = typeof forwardedFor === 'string' ? forwardedFor : forwardedFor.join(',');
  const chain = header.split(',').reverse(); // nearest proxy's entry first
  let current = peer;
  for (let hop = 0; hop <= chain.length; hop++) {
    const trusted = trust.kind === 'hops' ? hop < trust.hops : trust.list.check(current, isIP(current) === 4 ? 'ipv4' : 'ipv6');
    if (!trusted || hop === chain.length) return current;
    const next = normalizeIp(chain[hop]!.trim());
    if (next === null) return current;
    current = next;
  }
  return current;
}
