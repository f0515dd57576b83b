import { loadConfig, ConfigError } from '../src/config.js';

describe('configuration', () => {
  it('has the documented defaults', () => {
    const config = loadConfig({});
    expect(config.PORT).toBe(3000);
    expect(config.DATABASE_URL).toEqual({ dialect: 'sqlite', storage: './data/livechat.sqlite', url: 'sqlite:./data/livechat.sqlite' });
    expect(config.WEBHOOK_TIMEOUT_MS).toBe(10_000);
    expect(config.WEBHOOK_RETRY_DELAYS).toEqual([120, 600, 1800]);
    expect(config.WEBHOOK_SWEEP_CRON).toBe('*/15 * * * * *');
    expect(config.WEBHOOK_ALLOW_HTTP).toBe(false);
    expect(config.WEBHOOK_ALLOWED_HOSTS).toEqual([]);
    expect(config.TRUST_PROXY).toBe(false);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('parses every variable', () => {
    const config = loadConfig({
      PORT: '8080',
      DATABASE_URL: 'mysql://u:p@db.example:3307/chat',
      WEBHOOK_RETRY_DELAYS: '1, 2.5,3',
      WEBHOOK_ALLOW_HTTP: 'true',
      WEBHOOK_ALLOWED_HOSTS: 'Hooks.Internal, 10.0.0.0/8',
      TRUST_PROXY: '2',
      PUBLIC_URL: 'https://chat.example.com',
      REDIS_URL: 'redis://127.0.0.1:6379',
    });
    expect(config.PORT).toBe(8080);
    expect(config.DATABASE_URL.dialect).toBe('mysql');
    expect(config.WEBHOOK_RETRY_DELAYS).toEqual([1, 2.5, 3]);
    expect(config.WEBHOOK_ALLOWED_HOSTS).toEqual(['hooks.internal', '10.0.0.0/8']);
    expect(config.TRUST_PROXY).toBe(2);
  });

  it('reads TRUST_PROXY as true, false or a hop count', () => {
    const read = (value: string) => loadConfig({ TRUST_PROXY: value }).TRUST_PROXY;
    expect([read('true'), read('yes'), read('false'), read('no'), read('0'), read('1'), read('3')]).toEqual([true, true, false, false, false, 1, 3]);
  });

  it.each([
    ['DATABASE_URL', 'postgres://x@y/z', /^Invalid configuration: DATABASE_URL: unknown dialect "postgres"/],
    ['DATABASE_URL', 'not a url', /^Invalid configuration: DATABASE_URL: not a URL/],
    ['DATABASE_URL', 'mysql://root@127.0.0.1:3306', /^Invalid configuration: DATABASE_URL: names no database/],
    ['WEBHOOK_SWEEP_CRON', 'every minute', /^Invalid configuration: WEBHOOK_SWEEP_CRON: not a valid node-cron expression/],
    ['PORT', 'eighty', /^Invalid configuration: PORT: /],
    ['WEBHOOK_RETRY_DELAYS', '10,abc', /^Invalid configuration: WEBHOOK_RETRY_DELAYS: expected comma-separated seconds/],
    ['WEBHOOK_ALLOW_HTTP', 'maybe', /^Invalid configuration: WEBHOOK_ALLOW_HTTP: /],
    ['TRUST_PROXY', 'loopback', /^Invalid configuration: TRUST_PROXY: expected true, false or a number of proxy hops/],
    ['TRUST_PROXY', '-1', /^Invalid configuration: TRUST_PROXY: expected true, false or a number of proxy hops/],
  ])('rejects a bad %s with one line naming it', (name, value, message) => {
    let error: unknown;
    try {
      loadConfig({ [name]: value });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain('\n');
  });

  it('accepts 6-field cron expressions', () => {
    expect(loadConfig({ WEBHOOK_SWEEP_CRON: '*/5 * * * * *' }).WEBHOOK_SWEEP_CRON).toBe('*/5 * * * * *');
  });
});
