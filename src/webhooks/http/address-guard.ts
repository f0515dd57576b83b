import dns from 'node:dns';
import type { LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';

type Address = ipaddr.IPv4 | ipaddr.IPv6;

/** A webhook would reach a private, loopback, link-local, metadata or otherwise non-public address. */
export class BlockedAddressError extends Error {
  readonly code = 'ERR_BLOCKED_ADDRESS';
  constructor(
    readonly host: string,
    readonly address: string,
    readonly reason: string,
  ) {
    const where = host === address ? host : `${host} (${address})`;
    super(`Refusing to connect to ${where}: ${reason} address. Add it to WEBHOOK_ALLOWED_HOSTS to allow it.`);
    this.name = 'BlockedAddressError';
  }
}

/** Cloud metadata endpoints; most sit in ranges blocked anyway, Azure's wireserver is public space. */
const metadataAddresses = new Set(['169.254.169.254', '169.254.170.2', '168.63.129.16', '100.100.100.200', 'fd00:ec2::254']);

const v4RangeNames: Record<string, string> = {
  unspecified: 'an unspecified',
  broadcast: 'a broadcast',
  multicast: 'a multicast',
  linkLocal: 'a link-local',
  loopback: 'a loopback',
  carrierGradeNat: 'a carrier-grade NAT (100.64.0.0/10)',
  private: 'a private',
  reserved: 'a reserved, documentation or benchmarking',
  as112: 'an AS112',
  amt: 'an AMT relay',
};

const v6RangeNames: Record<string, string> = {
  unspecified: 'an unspecified',
  linkLocal: 'a link-local',
  multicast: 'a multicast',
  loopback: 'a loopback',
  uniqueLocal: 'a unique local (fc00::/7)',
  deprecatedSiteLocal: 'a site-local',
  discard: 'a discard-only',
  reserved: 'a reserved or documentation',
  benchmarking: 'a benchmarking',
  teredo: 'a Teredo tunnel',
};

/**
 * Parses an IP address the way a URL host or a DNS answer presents it: `[v6]`, zone ids, and the
 * decimal, octal and hex IPv4 spellings the WHATWG URL parser accepts (`2130706433`, `0x7f.1`, `0177.0.0.1`).
 * Returns null for anything that is not an IP address.
 */
export function parseIp(text: string): Address | null {
  let s = text.trim();
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  if (s.includes(':')) {
    // ipaddr.js reads `::a.b.c.d` as IPv4-mapped; spell the dotted tail as hex words so it reads as written.
    const dotted = /^(.*:)(\d+\.\d+\.\d+\.\d+)(%.*)?$/.exec(s);
    if (dotted) {
      const [, head = '', quad = '', zone = ''] = dotted;
      if (!ipaddr.IPv4.isValidFourPartDecimal(quad)) return null;
      const [a = 0, b = 0, c = 0, d = 0] = ipaddr.IPv4.parse(quad).octets;
      s = `${head}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}${zone}`;
    }
    return ipaddr.IPv6.isValid(s) ? ipaddr.IPv6.parse(s) : null;
  }
  // Only digits, hex letters, x and dots reach the URL parser, so nothing but the host can be read.
  if (!/^[0-9a-fx.]+$/i.test(s)) return null;
  let host: string;
  try {
    host = new URL(`http://${s}/`).hostname;
  } catch {
    return null;
  }
  return ipaddr.IPv4.isValidFourPartDecimal(host) ? ipaddr.IPv4.parse(host) : null;
}

function v4FromWords(high: number, low: number): ipaddr.IPv4 {
  return new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff]);
}

function v4Reason(address: ipaddr.IPv4): string | null {
  if (metadataAddresses.has(address.toString())) return 'a cloud metadata';
  const range = address.range();
  return range === 'unicast' ? null : (v4RangeNames[range] ?? `a ${range}`);
}

function embedded(label: string, inner: ipaddr.IPv4): string | null {
  const reason = v4Reason(inner);
  return reason === null ? null : `${label} ${inner.toString()} (${reason.replace(/^an? /, '')})`;
}

function v6Reason(address: ipaddr.IPv6): string | null {
  if (address.zoneId) return 'a scoped (zone id)';
  if (metadataAddresses.has(address.toString())) return 'a cloud metadata';
  const p = address.parts as [number, number, number, number, number, number, number, number];
  const range = address.range();
  const last32 = v4FromWords(p[6], p[7]);
  switch (range) {
    case 'ipv4Mapped':
      return embedded('an IPv4-mapped form of', last32);
    case 'rfc6145':
      return embedded('an IPv4-translated form of', last32);
    case '6to4':
      return embedded('a 6to4 form of', v4FromWords(p[1], p[2]));
    case 'rfc6052': {
      // 64:ff9b::/96 carries the IPv4 address in the last 32 bits. The local-use 64:ff9b:1::/48 may
      // use any RFC 6052 layout; check the /96 and the /48 positions (bits 48-63 and 72-87).
      const isLocalUse = p[1] === 0xff9b && p[2] === 1;
      const at48 = new ipaddr.IPv4([p[3] >> 8, p[3] & 0xff, p[4] & 0xff, p[5] >> 8]);
      if (!isLocalUse || (p[3] | p[4] | p[5]) === 0) return embedded('a NAT64 form of', last32);
      if ((p[6] | p[7]) === 0) return embedded('a NAT64 form of', at48);
      return embedded('a NAT64 form of', last32) ?? embedded('a NAT64 form of', at48);
    }
    default:
      break;
  }
  // ::/96 holds ::, ::1 and the deprecated IPv4-compatible addresses; none is a real destination.
  if (p.slice(0, 6).every((word) => word === 0)) {
    return range === 'unicast' ? `an IPv4-compatible (deprecated) form of ${last32.toString()}` : (v6RangeNames[range] ?? 'a reserved');
  }
  if (range !== 'unicast') return v6RangeNames[range] ?? `a special-purpose (${range})`;
  // Global unicast is 2000::/3; everything else is unassigned.
  if ((p[0] & 0xe000) !== 0x2000) return 'an unassigned';
  return null;
}

/**
 * Why an address must not be reached ("a loopback", "an IPv4-mapped form of 10.0.0.1 (private)", …),
 * or null for a public unicast address. Anything that is not an IP address is refused.
 */
export function blockedAddressReason(ip: string): string | null {
  const address = parseIp(ip);
  if (address === null) return 'not an IP';
  return address.kind() === 'ipv4' ? v4Reason(address as ipaddr.IPv4) : v6Reason(address as ipaddr.IPv6);
}

/** True when a webhook must not connect to this IP (private, loopback, metadata, reserved, or hidden inside a v6 form). */
export function isBlockedAddress(ip: string): boolean {
  return blockedAddressReason(ip) !== null;
}

/** IPv4-mapped v6 compares as the v4 address, so `127.0.0.1` in the allow-list also covers `::ffff:127.0.0.1`. */
function comparable(address: Address): Address {
  if (address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress()) {
    return (address as ipaddr.IPv6).toIPv4Address();
  }
  return address;
}

function normaliseHost(host: string): string {
  let h = host.trim().toLowerCase();
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  return h.endsWith('.') ? h.slice(0, -1) : h;
}

function entryMatches(entry: string, name: string, candidates: readonly Address[]): boolean {
  if (entry.includes('/')) {
    const [base = '', bitsText = ''] = entry.split('/');
    const network = parseIp(base);
    const bits = Number(bitsText);
    if (network === null || !/^\d+$/.test(bitsText)) return false;
    const net = comparable(network);
    if (bits > (net.kind() === 'ipv4' ? 32 : 128)) return false;
    return candidates.some((c) => c.kind() === net.kind() && c.match(net as never, bits));
  }
  const ip = parseIp(entry);
  if (ip !== null) {
    const wanted = comparable(ip).toNormalizedString();
    return candidates.some((c) => c.toNormalizedString() === wanted);
  }
  const host = normaliseHost(entry);
  if (host.startsWith('*.')) return name.endsWith(host.slice(1));
  return host !== '' && name === host;
}

/**
 * True when WEBHOOK_ALLOWED_HOSTS exempts this destination: an entry equal to the hostname
 * (`*.example.test` matches subdomains), equal to the IP, or a CIDR containing it.
 */
export function isAllowListed(host: string, ip: string | null, allowList: readonly string[]): boolean {
  const name = normaliseHost(host);
  const candidates: Address[] = [];
  for (const text of [ip, name]) {
    const parsed = text === null ? null : parseIp(text);
    if (parsed !== null) candidates.push(comparable(parsed));
  }
  return allowList.some((entry) => entryMatches(entry.trim().toLowerCase(), name, candidates));
}

type DnsLookup = (
  hostname: string,
  options: dns.LookupAllOptions,
  callback: (err: NodeJS.ErrnoException | null, addresses: dns.LookupAddress[]) => void,
) => void;

export interface AddressGuard {
  /** Throws BlockedAddressError for a blocked IP-literal host: Node connects to those without a lookup. */
  checkUrlHost(url: URL): void;
  /** dns.lookup-compatible; give it to got (`dnsLookup`) or an http.Agent (`lookup`). */
  lookup: LookupFunction;
}

/**
 * The SSRF guard of the sender. Every connection resolves through `lookup`, which refuses blocked
 * answers and hands the socket only the addresses it checked, so DNS rebinding between a check and
 * the connect cannot happen.
 */
export function createAddressGuard(allowList: readonly string[], dnsLookup: DnsLookup = dns.lookup): AddressGuard {
  const firstBlocked = (host: string, addresses: readonly string[]): BlockedAddressError | null => {
    if (isAllowListed(host, null, allowList)) return null;
    for (const address of addresses) {
      const reason = blockedAddressReason(address);
      if (reason !== null && !isAllowListed(host, address, allowList)) return new BlockedAddressError(host, address, reason);
    }
    return null;
  };

  const checkUrlHost = (url: URL): void => {
    const host = normaliseHost(url.hostname);
    if (parseIp(host) === null) return;
    const error = firstBlocked(host, [host]);
    if (error) throw error;
  };

  const lookup: LookupFunction = (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, options.all ? [] : '');
      // One blocked answer refuses the host: a mix of public and private answers is a rebinding trick.
      const blocked = firstBlocked(hostname, addresses.map((a) => a.address));
      if (blocked) return callback(blocked, options.all ? [] : '');
      if (options.all) return callback(null, addresses);
      const first = addresses[0];
      if (!first) {
        const notFound: NodeJS.ErrnoException = Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), {
          code: 'ENOTFOUND',
          syscall: 'getaddrinfo',
        });
        return callback(notFound, '');
      }
      callback(null, first.address, first.family);
    });
  };

  return { checkUrlHost, lookup };
}
