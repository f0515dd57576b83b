import { validateWebhookUrl } from '../../../src/webhooks/http/url-rules.js';

/** Public DNS answers for the names these tests use, so no test depends on the network. */
const zone: Record<string, string[]> = {
  'hooks.example.com': ['93.184.216.34', '2606:2800:220:1::1'],
  'hooks.slack.com': ['34.226.36.64'],
  'rebind.example.com': ['93.184.216.34', '10.0.0.5'],
  'internal.example.com': ['192.168.1.20'],
  'v6only.example.com': ['::ffff:169.254.169.254'],
  'metadata.google.internal': ['169.254.169.254'],
};
const resolve = async (host: string): Promise<string[]> => {
  const answers = zone[host];
  if (!answers) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
  return answers;
};
const strict = { allowHttp: false, allowList: [] as string[], resolve };
const dev = { allowHttp: true, allowList: ['127.0.0.1', 'localhost'], resolve };

describe('validateWebhookUrl', () => {
  it.each([
    'https://hooks.example.com/webhook',
    'https://hooks.example.com:8443/a/b?c=d#e',
    'https://HOOKS.example.com./x',
    'https://hooks.slack.com/services/T000/B000/XXXX',
    'https://8.8.8.8/hook',
    'https://[2606:4700::1111]/hook',
  ])('accepts %s', async (url) => {
    expect(await validateWebhookUrl(url, strict)).toEqual([]);
  });

  it.each([
    ['', 'URL is required.'],
    ['   ', 'URL is required.'],
    ['hooks.example.com/webhook', 'URL must be absolute, e.g. https://example.com/webhook.'],
    ['/relative/path', 'URL must be absolute, e.g. https://example.com/webhook.'],
    ['https://', 'URL must be absolute, e.g. https://example.com/webhook.'],
    ['http://hooks.example.com/x', 'URL must use https:// (http:// is accepted only when WEBHOOK_ALLOW_HTTP=true).'],
    ['ftp://hooks.example.com/x', 'URL must use https://.'],
    ['javascript:alert(1)', 'URL must use https://.'],
    ['https://user:pass@hooks.example.com/x', 'URL must not contain a username or password.'],
    ['https://user@hooks.example.com/x', 'URL must not contain a username or password.'],
    [`https://hooks.example.com/${'a'.repeat(2048)}`, 'URL must be at most 2048 characters.'],
    ['https://nope.invalid/x', 'Host nope.invalid does not resolve.'],
  ])('refuses %j', async (url, message) => {
    expect(await validateWebhookUrl(url, strict)).toEqual([message]);
  });

  it('lists every problem that does not need DNS at once', async () => {
    expect(await validateWebhookUrl('http://u:p@hooks.example.com/', strict)).toEqual([
      'URL must use https:// (http:// is accepted only when WEBHOOK_ALLOW_HTTP=true).',
      'URL must not contain a username or password.',
    ]);
  });

  it('accepts exactly 2048 characters', async () => {
    const base = 'https://hooks.example.com/';
    expect(await validateWebhookUrl(base + 'a'.repeat(2048 - base.length), strict)).toEqual([]);
  });

  it.each([
    ['https://127.0.0.1/', 'Host 127.0.0.1 is a loopback address'],
    ['https://2130706433/', 'Host 127.0.0.1 is a loopback address'],
    ['https://0x7f.1/', 'Host 127.0.0.1 is a loopback address'],
    ['https://10.0.0.1/', 'Host 10.0.0.1 is a private address'],
    ['https://169.254.169.254/latest/meta-data', 'Host 169.254.169.254 is a cloud metadata address'],
    ['https://[::1]/', 'Host ::1 is a loopback address'],
    ['https://[::ffff:127.0.0.1]/', 'Host ::ffff:7f00:1 is an IPv4-mapped form of 127.0.0.1 (loopback) address'],
    ['https://[fd00:ec2::254]/', 'Host fd00:ec2::254 is a cloud metadata address'],
    ['https://[64:ff9b::a00:1]/', 'Host 64:ff9b::a00:1 is a NAT64 form of 10.0.0.1 (private) address'],
  ])('refuses the IP literal in %s', async (url, start) => {
    const [message, ...rest] = await validateWebhookUrl(url, strict);
    expect(rest).toEqual([]);
    expect(message).toMatch(new RegExp(`^${start.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}; .*WEBHOOK_ALLOWED_HOSTS`));
  });

  it.each(['https://localhost/', 'https://LOCALHOST./x', 'https://app.localhost/', 'https://metadata.google.internal/computeMetadata/v1/'])(
    'refuses the internal name in %s without asking DNS',
    async (url) => {
      const asked: string[] = [];
      const errors = await validateWebhookUrl(url, { ...strict, resolve: async (h) => (asked.push(h), ['8.8.8.8']) });
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatch(/^Host [a-z.]+ is an internal name; it is refused unless listed in WEBHOOK_ALLOWED_HOSTS\.$/);
      expect(asked).toEqual([]);
    },
  );

  it('refuses a name that resolves to a private address, even among public ones', async () => {
    expect(await validateWebhookUrl('https://rebind.example.com/', strict)).toEqual([
      'Host rebind.example.com resolves to 10.0.0.5, a private address; such addresses are refused unless listed in WEBHOOK_ALLOWED_HOSTS.',
    ]);
    expect((await validateWebhookUrl('https://v6only.example.com/', strict))[0]).toContain('169.254.169.254');
  });

  it('lets the allow-list exempt hosts by name, IP and CIDR', async () => {
    expect(await validateWebhookUrl('https://internal.example.com/', { ...strict, allowList: ['internal.example.com'] })).toEqual([]);
    expect(await validateWebhookUrl('https://internal.example.com/', { ...strict, allowList: ['192.168.0.0/16'] })).toEqual([]);
    expect(await validateWebhookUrl('https://10.2.3.4/', { ...strict, allowList: ['10.0.0.0/8'] })).toEqual([]);
    expect(await validateWebhookUrl('https://[::1]:8443/', { ...strict, allowList: ['::1'] })).toEqual([]);
    expect(await validateWebhookUrl('https://metadata.google.internal/', { ...strict, allowList: ['metadata.google.internal'] })).toEqual(
      [],
    );
  });

  it('accepts http:// to allow-listed local receivers in development', async () => {
    expect(await validateWebhookUrl('http://127.0.0.1:4000/hook', dev)).toEqual([]);
    expect(await validateWebhookUrl('ftp://127.0.0.1/', dev)).toEqual(['URL must use http:// or https://.']);
    expect(await validateWebhookUrl('http://10.0.0.1/', dev)).toHaveLength(1);
  });

  it('resolves with the system resolver when none is given (localhost, allow-listed)', async () => {
    expect(await validateWebhookUrl('http://localhost:4000/hook', { allowHttp: true, allowList: ['localhost'] })).toEqual([]);
  });

  it('calls a name that fails to resolve unresolvable rather than crashing', async () => {
    const broken = { ...strict, resolve: async () => Promise.reject(new TypeError('boom')) };
    expect(await validateWebhookUrl('https://hooks.example.com/', broken)).toEqual(['Host hooks.example.com does not resolve.']);
    expect(await validateWebhookUrl('https://hooks.example.com/', { ...strict, resolve: async () => [] })).toEqual([
      'Host hooks.example.com does not resolve.',
    ]);
  });
});

describe('validateWebhookUrl on a local receiver', () => {
  it.each([
    ['http://127.0.0.1:4000/hook', '127.0.0.1'],
    ['http://localhost:4000/hook', 'localhost'],
    ['http://[::1]:4000/hook', '::1'],
    ['http://192.168.1.20/hook', '192.168.1.20'],
  ])('names both WEBHOOK_ALLOW_HTTP and WEBHOOK_ALLOWED_HOSTS at once for %s', async (url, host) => {
    expect(await validateWebhookUrl(url, strict)).toEqual([
      'URL must use https:// (http:// is accepted only when WEBHOOK_ALLOW_HTTP=true). ' +
        `Host ${host} must also be listed in WEBHOOK_ALLOWED_HOSTS: for a local receiver start the server with WEBHOOK_ALLOW_HTTP=true WEBHOOK_ALLOWED_HOSTS=${host}.`,
    ]);
  });

  it('names only WEBHOOK_ALLOW_HTTP when the host is already allow-listed', async () => {
    expect(await validateWebhookUrl('http://127.0.0.1:4000/hook', { ...strict, allowList: ['127.0.0.0/8'] })).toEqual([
      'URL must use https:// (http:// is accepted only when WEBHOOK_ALLOW_HTTP=true).',
    ]);
  });

  it('accepts it once both are set, as the message says', async () => {
    expect(await validateWebhookUrl('http://127.0.0.1:4000/hook', { allowHttp: true, allowList: ['127.0.0.1'], resolve })).toEqual([]);
  });
});
