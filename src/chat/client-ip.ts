import ipaddr from 'ipaddr.js';

/**
 * The visitor's IP as SPEC §3 defines it: the socket's remote address, or the first
 * `X-Forwarded-For` hop when the operator said a proxy is in front (TRUST_PROXY).
 * IPv4-mapped IPv6 (`::ffff:1.2.3.4`) is written as plain IPv4. Null when nothing parses.
 *
 * @example clientIp('::ffff:10.0.0.1', '203.0.113.9, 10.0.0.1', true) // '203.0.113.9'
 */
export function clientIp(remoteAddress: string | undefined, forwardedFor: string | string[] | undefined, trustProxy: boolean): string | null {
  if (trustProxy) {
    const header = Array.isArray(forwardedFor) ? forwardedFor[0] : forwardedFor;
    const firstHop = normalize(header?.split(',')[0]?.trim());
    if (firstHop) return firstHop;
  }
  return normalize(remoteAddress);
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
