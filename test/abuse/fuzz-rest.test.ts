import { startReceiver, type Receiver } from '../support/receiver.js';
import { dialects } from '../support/databases.js';
import { startTestServer, TEST_API_KEY, type TestServer } from '../support/server.js';
import { fuzzRest, summarize } from './fuzz/rest.js';
import { fingerprint } from './fuzz/snapshot.js';
import { fuzzRestText } from './fuzz/text-rest.js';

/** Cases per dialect; FUZZ_CASES raises it for a longer local run. */
const CASES = Number(process.env.FUZZ_CASES ?? 1200);

describe.each(dialects)('REST API fuzz (%s)', (dialect) => {
  let server: TestServer;
  let receiver: Receiver;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);

  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    receiver = await startReceiver();
    server = await startTestServer(dialect);
  });

  afterAll(async () => {
    await server?.stop();
    await receiver?.close();
    process.off('unhandledRejection', onUnhandled);
  });

  it(`answers ${CASES} hostile requests without a 5xx, a leak, or a change to the database when refusing`, async () => {
    const result = await fuzzRest({
      baseUrl: server.url,
      apiKey: TEST_API_KEY,
      seed: dialect === 'mysql' ? 0x5eed1 : 0x5eed2,
      cases: CASES,
      receiverUrl: receiver.url,
      snapshot: fingerprint(server.server.sequelize, {
        full: ['webhooks', 'api_keys'],
        appendOnly: ['webhook_deliveries', 'webhook_delivery_attempts'],
      }),
    });
    expect(summarize(result.failures)).toEqual({});
    expect(result.cases).toBe(CASES);
    // The generator must mostly produce refusals, or it is not testing much.
    expect(result.refused).toBeGreaterThan(CASES * 0.5);
    expect(unhandled).toEqual([]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
    const health = await fetch(`${server.url}/healthz`);
    expect(health.status).toBe(200);
  }, 180_000); // 1,200 requests: generous on a loaded 2-core machine

  it('applies the text rule to every field of every route, header and the sign-in form: NUL refused by name, lone surrogates stored as U+FFFD, emoji and RTL stored exactly', async () => {
    const started = Date.now();
    const result = await fuzzRestText({ baseUrl: server.url, apiKey: TEST_API_KEY, receiverUrl: receiver.url });
    expect(summarize(result.failures)).toEqual({});
    // Every route's fields, six texts each (plus raw encodings for paths and queries): not a handful.
    expect(result.cases).toBeGreaterThan(250);
    expect(result.echoed).toBeGreaterThan(10);
    expect(Object.keys(result.byStatus).filter((s) => Number(s) >= 500)).toEqual([]);
    expect(unhandled).toEqual([]);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    console.log(`text fuzz (${dialect}): ${result.cases} REST cases, ${result.echoed} read back, ${Date.now() - started} ms, statuses ${JSON.stringify(result.byStatus)}`);
  });
});
