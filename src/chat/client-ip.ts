import ipaddr from 'ipaddr.js';

/** TRUST_PROXY as config parses it: `true` every hop, N the N nearest proxies, `false` none. */
export type TrustProxy = boolean | number;

/**
 * The visitor's IP as express's `trust proxy` computes `req.ip`, so a socket and an HTTP request
 * from the same client agree: the chain is the socket's peer followed by the `X-Forwarded-For`
 * entries from right (nearest) to left. `false` takes the peer; N takes the address N hops back
 * (a client can prepend what it likes, but the N proxies append what they saw, so the N-th
 * entry from the right is the one they vouch for); `true` takes the first hop, which the client
 * chooses unless the proxy strips the header. IPv4-mapped IPv6 is written as plain IPv4; an
 * entry that does not parse falls back to the nearer hop that passed it on. Null when nothing parses.
 *
 * @example clientIp('10.0.0.1', 'spoofed, 203.0.113.9', 1) // '203.0.113.9'
 */
export function clientIp(remoteAddress: string | undefined, forwardedFor: string | string[] | undefined, trustProxy: TrustProxy): string | null {
  const header = Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor;
  const forwarded = header ? header.split(',').map((hop) => hop.trim()).filter(Boolean) : [];
  const chain = [remoteAddress, ...forwarded.reverse()];
  const hops = trustProxy === true ? chain.length - 1 : trustProxy === false ? 0 : Math.min(trustProxy, chain.length - 1);
  for (let i = hops; i >= 0; i--) {
    const address = normalize(chain[i]);
    if (address) return address;
  }
  return null;
}

function normalize(address: string | undefined): string | null {
  if (!address) return null;
  const bare = address.replace(/^\[(.*)\]$/, '$1');
  if (!ipaddr.isValid(bare)) return null;
  const parsed = ipaddr.parse(bare);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) {
    return (parsed as ipaddr.IPv6).toIPv4Address().toString();
  }
  return parsed.toString();
}
