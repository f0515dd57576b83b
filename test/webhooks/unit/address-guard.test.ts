import type { LookupAddress, LookupAllOptions } from 'node:dns';
import {
  BlockedAddressError,
  blockedAddressReason,
  createAddressGuard,
  isAllowListed,
  isBlockedAddress,
  parseIp,
} from '../../../src/webhooks/http/address-guard.js';

const blocked: Array<[string, string]> = [
  // IPv4 special ranges
  ['0.0.0.0', 'unspecified'],
  ['0.1.2.3', 'unspecified (0/8)'],
  ['127.0.0.1', 'loopback'],
  ['127.255.255.254', 'loopback'],
  ['10.0.0.1', 'private 10/8'],
  ['172.16.0.1', 'private 172.16/12'],
  ['172.31.255.255', 'private 172.16/12'],
  ['192.168.1.1', 'private 192.168/16'],
  ['169.254.0.1', 'link-local'],
  ['169.254.169.254', 'cloud metadata'],
  ['168.63.129.16', 'Azure wireserver'],
  ['100.64.0.1', 'CGNAT'],
  ['100.127.255.255', 'CGNAT'],
  ['100.100.100.200', 'Alibaba metadata (CGNAT)'],
  ['224.0.0.1', 'multicast'],
  ['239.255.255.250', 'multicast'],
  ['255.255.255.255', 'broadcast'],
  ['240.0.0.1', 'reserved'],
  ['192.0.0.1', 'IETF protocol assignments'],
  ['192.0.2.1', 'documentation TEST-NET-1'],
  ['198.51.100.7', 'documentation TEST-NET-2'],
  ['203.0.113.9', 'documentation TEST-NET-3'],
  ['198.18.0.1', 'benchmarking'],
  ['198.19.255.255', 'benchmarking'],
  // IPv4 spellings the WHATWG URL parser normalises
  ['2130706433', 'decimal 127.0.0.1'],
  ['0x7f000001', 'hex 127.0.0.1'],
  ['0x7f.0.0.1', 'hex octet'],
  ['0177.0.0.1', 'octal octet'],
  ['127.1', 'short form'],
  ['0', 'zero'],
  ['0xA9FEA9FE', 'hex 169.254.169.254'],
  ['012.0.0.1', 'octal 10.0.0.1'],
  // IPv6
  ['::', 'unspecified'],
  ['::1', 'loopback'],
  ['[::1]', 'bracketed loopback'],
  ['fe80::1', 'link-local'],
  ['fe80::1%eth0', 'link-local with zone'],
  ['fc00::1', 'ULA'],
  ['fd12:3456:789a::1', 'ULA'],
  ['fd00:ec2::254', 'AWS metadata'],
  ['fec0::1', 'site-local'],
  ['ff02::1', 'multicast'],
  ['100::1', 'discard'],
  ['2001:db8::1', 'documentation'],
  ['3fff::1', 'documentation (RFC 9637)'],
  ['2001:2::1', 'benchmarking'],
  ['4000::1', 'outside 2000::/3'],
  ['::ffff:127.0.0.1', 'IPv4-mapped loopback'],
  ['::ffff:7f00:1', 'IPv4-mapped loopback (hex)'],
  ['::ffff:10.0.0.1', 'IPv4-mapped private'],
  ['::ffff:169.254.169.254', 'IPv4-mapped metadata'],
  ['::ffff:0:10.0.0.1', 'IPv4-translated private'],
  ['::127.0.0.1', 'IPv4-compatible loopback'],
  ['::10.0.0.1', 'IPv4-compatible private'],
  ['::8.8.8.8', 'IPv4-compatible (deprecated, never routed)'],
  ['64:ff9b::127.0.0.1', 'NAT64 loopback'],
  ['64:ff9b::a9fe:a9fe', 'NAT64 metadata'],
  ['64:ff9b:1::10.0.0.1', 'local-use NAT64, /96 layout'],
  ['64:ff9b:1:a00:0:100::', 'local-use NAT64, /48 layout of 10.0.0.1'],
  ['2002:7f00:1::', '6to4 of loopback'],
  ['2002:a00:1::1', '6to4 of private'],
  ['2002:a9fe:a9fe::', '6to4 of metadata'],
  ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'Teredo'],
  // not an address at all: refused rather than guessed
  ['', 'empty'],
  ['example.com', 'hostname'],
  ['1.2.3.4.5', 'five parts'],
  ['256.1.1.1', 'octet out of range'],
  ['a@127.0.0.1', 'userinfo trick'],
];

const allowed: Array<[string, string]> = [
  ['8.8.8.8', 'public v4'],
  ['1.1.1.1', 'public v4'],
  ['93.184.216.34', 'public v4'],
  ['172.32.0.1', 'just outside 172.16/12'],
  ['100.128.0.1', 'just outside CGNAT'],
  ['169.255.0.1', 'just outside link-local'],
  ['0x08080808', 'hex 8.8.8.8'],
  ['134744072', 'decimal 8.8.8.8'],
  ['2606:4700::1111', 'public v6'],
  ['2001:4860:4860::8888', 'public v6'],
  ['[2606:4700:4700::1111]', 'bracketed public v6'],
  ['::ffff:8.8.8.8', 'IPv4-mapped public'],
  ['64:ff9b::8.8.8.8', 'NAT64 public'],
  ['64:ff9b:1:808:8:800::', 'local-use NAT64, /48 layout of 8.8.8.8'],
  ['2002:808:808::1', '6to4 of public'],
];

describe('isBlockedAddress', () => {
  it.each(blocked)('blocks %s (%s)', (ip) => {
    expect(isBlockedAddress(ip)).toBe(true);
  });

  it.each(allowed)('allows %s (%s)', (ip) => {
    expect(isBlockedAddress(ip)).toBe(false);
  });

  it('reads the IPv4 spellings as the URL parser does', () => {
    for (const form of ['2130706433', '0x7f000001', '0x7f.0.0.1', '0177.0.0.1', '127.1', '127.0.1']) {
      expect(parseIp(form)?.toString()).toBe(new URL(`http://${form}/`).hostname);
    }
    expect(parseIp('::127.0.0.1')?.toString()).toBe('::7f00:1');
    expect(parseIp('example.com')).toBeNull();
  });

  it('says why an address is refused', () => {
    expect(blockedAddressReason('127.0.0.1')).toBe('a loopback');
    expect(blockedAddressReason('169.254.169.254')).toBe('a cloud metadata');
    expect(blockedAddressReason('::ffff:10.1.2.3')).toBe('an IPv4-mapped form of 10.1.2.3 (private)');
    expect(blockedAddressReason('64:ff9b::7f00:1')).toBe('a NAT64 form of 127.0.0.1 (loopback)');
    expect(blockedAddressReason('8.8.8.8')).toBeNull();
  });
});

describe('isAllowListed', () => {
  const list = ['hooks.internal.test', '*.corp.test', '10.1.2.3', '192.168.0.0/16', 'fd00::/8', '::1'];

  it.each([
    ['hooks.internal.test', null, 'exact hostname'],
    ['HOOKS.Internal.test.', null, 'hostname, case and trailing dot ignored'],
    ['n8n.corp.test', '10.9.9.9', 'wildcard subdomain'],
    ['whatever.example', '10.1.2.3', 'exact IP'],
    ['10.1.2.3', null, 'IP-literal host'],
    ['db.example', '192.168.44.5', 'inside a v4 CIDR'],
    ['db.example', '::ffff:192.168.44.5', 'IPv4-mapped inside a v4 CIDR'],
    ['[fd12::5]', null, 'bracketed v6 literal inside a v6 CIDR'],
    ['x.example', '0:0:0:0:0:0:0:1', 'v6 written out'],
  ])('allows %s / %s (%s)', (host, ip, _why) => {
    expect(isAllowListed(host, ip, list)).toBe(true);
  });

  it.each([
    ['internal.test', null, 'parent of an exact entry'],
    ['corp.test', null, 'the wildcard base itself'],
    ['evilcorp.test', '8.8.8.8', 'suffix without a dot'],
    ['hooks.internal.test.evil.example', '8.8.8.8', 'entry as a prefix'],
    ['a.example', '10.1.2.4', 'neighbouring IP'],
    ['a.example', '172.16.0.1', 'outside the CIDRs'],
    ['a.example', 'fe80::1', 'outside the v6 CIDR'],
    ['a.example', null, 'no IP, unknown host'],
  ])('refuses %s / %s (%s)', (host, ip, _why) => {
    expect(isAllowListed(host, ip, list)).toBe(false);
  });

  it('ignores malformed entries instead of matching everything', () => {
    expect(isAllowListed('a.example', '10.0.0.1', ['10.0.0.0/99', 'nonsense/8', '', '  '])).toBe(false);
    expect(isAllowListed('a.example', '10.0.0.1', [' 10.0.0.0/8 '])).toBe(true);
  });
});

describe('createAddressGuard', () => {
  type Answer = { err?: NodeJS.ErrnoException; addresses: LookupAddress[] };
  const call = (guard: ReturnType<typeof createAddressGuard>, host: string, options: { all?: boolean; family?: number } = {}) =>
    new Promise<{ err: NodeJS.ErrnoException | null; address: unknown; family?: number }>((resolve) => {
      guard.lookup(host, options, (err, address, family) => resolve({ err, address, family }));
    });
  /** A stand-in resolver for names only a real DNS could otherwise give (rebinding answers). */
  const fixed =
    (answer: Answer) =>
    (_host: string, _options: LookupAllOptions, cb: (err: NodeJS.ErrnoException | null, a: LookupAddress[]) => void) =>
      setImmediate(() => cb(answer.err ?? null, answer.addresses));

  it('refuses localhost through a real DNS lookup, naming host and address', async () => {
    const { err, address } = await call(createAddressGuard([]), 'localhost');
    expect(err).toBeInstanceOf(BlockedAddressError);
    expect((err as BlockedAddressError).code).toBe('ERR_BLOCKED_ADDRESS');
    expect(err?.message).toMatch(/localhost \((127\.0\.0\.1|::1)\)/);
    expect(address).toBe('');
  });

  it('resolves localhost when the hostname or its address is allow-listed', async () => {
    const byName = await call(createAddressGuard(['localhost']), 'localhost', { family: 4 });
    expect(byName.err).toBeNull();
    expect(byName.address).toBe('127.0.0.1');
    expect(byName.family).toBe(4);

    const byCidr = await call(createAddressGuard(['127.0.0.0/8', '::1']), 'localhost', { all: true });
    expect(byCidr.err).toBeNull();
    expect(Array.isArray(byCidr.address)).toBe(true);
    expect((byCidr.address as LookupAddress[]).map((a) => a.address)).toContain('127.0.0.1');
  });

  it('checks IP literals handed to lookup', async () => {
    const { err } = await call(createAddressGuard([]), '169.254.169.254', { all: true });
    expect(err).toBeInstanceOf(BlockedAddressError);
    expect((await call(createAddressGuard([]), '8.8.8.8')).address).toBe('8.8.8.8');
  });

  it('refuses a public name when any answer is private (rebinding)', async () => {
    const guard = createAddressGuard(
      [],
      fixed({ addresses: [{ address: '93.184.216.34', family: 4 }, { address: '10.0.0.7', family: 4 }] }),
    );
    const { err } = await call(guard, 'rebind.example', { all: true });
    expect(err).toBeInstanceOf(BlockedAddressError);
    expect(err?.message).toContain('rebind.example (10.0.0.7)');
  });

  it('returns the checked answers in the shape asked for', async () => {
    const answers = [{ address: '2606:4700::1111', family: 6 }, { address: '1.1.1.1', family: 4 }];
    const guard = createAddressGuard([], fixed({ addresses: answers }));
    expect((await call(guard, 'public.example', { all: true })).address).toEqual(answers);
    expect(await call(guard, 'public.example')).toEqual({ err: null, address: '2606:4700::1111', family: 6 });
  });

  it('passes resolver errors through and reports an empty answer as ENOTFOUND', async () => {
    const enotfound = Object.assign(new Error('getaddrinfo ENOTFOUND nope.invalid'), { code: 'ENOTFOUND' });
    expect((await call(createAddressGuard([], fixed({ err: enotfound, addresses: [] })), 'nope.invalid')).err).toBe(enotfound);
    expect((await call(createAddressGuard([], fixed({ addresses: [] })), 'empty.example')).err?.code).toBe('ENOTFOUND');
  });

  it('checkUrlHost throws for blocked IP-literal hosts in every spelling, unless allow-listed', () => {
    const guard = createAddressGuard([]);
    for (const url of ['http://127.0.0.1/', 'http://2130706433/', 'http://0x7f.1/', 'http://[::1]:8080/', 'https://[::ffff:a9fe:a9fe]/', 'http://[fd00:ec2::254]/']) {
      expect(() => guard.checkUrlHost(new URL(url))).toThrow(BlockedAddressError);
    }
    expect(() => guard.checkUrlHost(new URL('https://8.8.8.8/'))).not.toThrow();
    expect(() => guard.checkUrlHost(new URL('https://[2606:4700::1111]/'))).not.toThrow();
    // Names are left to lookup, which sees what they resolve to.
    expect(() => guard.checkUrlHost(new URL('http://localhost/'))).not.toThrow();
    const allowing = createAddressGuard(['127.0.0.1', '::1']);
    expect(() => allowing.checkUrlHost(new URL('http://127.0.0.1:3000/hook'))).not.toThrow();
    expect(() => allowing.checkUrlHost(new URL('http://[::1]/'))).not.toThrow();
    expect(() => allowing.checkUrlHost(new URL('http://10.0.0.1/'))).toThrow(/10\.0\.0\.1: a private address/);
  });
});
