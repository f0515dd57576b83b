import { startReceiver, type Receiver } from '../support/receiver.js';
import { startTestServer, TEST_API_KEY, type TestServer } from '../support/server.js';
import { parsePrometheusText, sampleValue, type Family } from '../support/prometheus-text.js';
import { readWithPrometheusClient } from '../support/prometheus-client.js';
import { apiClient, webhookBody } from '../webhooks/api/helpers.js';
import { connectAgent, connectWidget, ok } from '../chat/clients.js';
import type { TestDialect } from '../support/databases.js';

const modes: [string, TestDialect, Record<string, string>][] = [
  ['MariaDB, delivery worker thread', 'mysql', { WEBHOOK_WORKER: 'thread' }],
  ['MariaDB, inline engine', 'mysql', { WEBHOOK_WORKER: 'inline' }],
  ['SQLite (inline)', 'sqlite', {}],
];

async function scrape(url: string, key: string | null = TEST_API_KEY): Promise<{ status: number; contentType: string | null; text: string }> {
  const res = await fetch(`${url}/metrics`, key === null ? {} : { headers: { authorization: `Bearer ${key}` } });
  return { status: res.status, contentType: res.headers.get('content-type'), text: await res.text() };
}

/** Scrapes until `check` passes (the hook listeners and the worker's records land a moment after the acks). */
async function scrapeUntil(url: string, check: (families: Map<string, Family>) => void, timeoutMs = 15_000): Promise<Map<string, Family>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const families = parsePrometheusText((await scrape(url)).text);
    try {
      check(families);
      return families;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

describe.each(modes)('GET /metrics on %s', (_name, dialect, env) => {
  let t: TestServer;
  let receiver: Receiver;

  beforeAll(async () => {
    t = await startTestServer(dialect, env);
    receiver = await startReceiver((request) => (request.text().includes('please fail') ? { status: 500 } : { status: 200 }));
  });
  afterAll(async () => {
    await receiver?.close();
    await t?.stop();
  });

  it('refuses a scrape without the API key', async () => {
    expect((await scrape(t.url, null)).status).toBe(401);
    expect((await scrape(t.url, 'lck_not-a-key')).status).toBe(401);
  });

  it('counts known deliveries exactly, with bounded labels, in a valid exposition', async () => {
    const api = apiClient(t.url);
    const hook = await api.post('/webhooks', webhookBody(receiver.url, { events: ['message.received', 'message.sent'] }));
    const id = String(hook.body.data.id);
    const quiet = await api.post('/webhooks', webhookBody(receiver.url, { events: ['conversation.closed'] }));

    const { socket: widget } = await connectWidget(t.url);
    const agent = await connectAgent(t.url, { apiKey: TEST_API_KEY });
    try {
      const started = await ok(widget, 'conversation:start', { name: 'Ada' });
      await ok(widget, 'message:send', { content: 'hello' });
      await ok(agent, 'message:send', { conversation_id: started.conversation_id, content: 'hi Ada', admin_name: 'Grace' });
      // Last: a failed delivery holds the later events of its conversation until it ends (SPEC §5 "Order").
      await ok(widget, 'message:send', { content: 'please fail' });
      await receiver.waitFor(3, 15_000);

      const families = await scrapeUntil(t.url, (f) => {
        expect(sampleValue(f, 'livechat_webhook_attempt_duration_seconds_count', { webhook_id: id })).toBe(3);
        expect(sampleValue(f, 'livechat_messages_total', { from: 'agent' })).toBe(1);
      });
      const attempts = (event: string, cause: string) => sampleValue(families, 'livechat_webhook_attempts_total', { webhook_id: id, event, cause });
      expect(attempts('message.received', 'ok')).toBe(1);
      expect(attempts('message.received', 'server_error')).toBe(1);
      expect(attempts('message.sent', 'ok')).toBe(1);
      expect(families.get('livechat_webhook_attempts_total')!.samples.reduce((n, s) => n + s.value, 0)).toBe(3);
      expect(sampleValue(families, 'livechat_messages_total', { from: 'visitor' })).toBe(2);
      expect(sampleValue(families, 'livechat_conversations_started_total')).toBe(1);
      expect(sampleValue(families, 'livechat_connected_sockets', { namespace: '/widget' })).toBe(1);
      expect(sampleValue(families, 'livechat_connected_sockets', { namespace: '/agent' })).toBe(1);
      // The failed one waits for its retry (2 minutes by default); the other webhook has nothing waiting.
      expect(sampleValue(families, 'livechat_webhook_pending_deliveries', { webhook_id: id })).toBe(1);
      expect(sampleValue(families, 'livechat_webhook_oldest_pending_age_seconds', { webhook_id: id })).toBeGreaterThanOrEqual(0);
      expect(sampleValue(families, 'livechat_webhook_pending_deliveries', { webhook_id: String(quiet.body.data.id) })).toBe(0);
      expect(sampleValue(families, 'livechat_webhook_oldest_pending_age_seconds', { webhook_id: String(quiet.body.data.id) })).toBe(0);
      expect(families.get('livechat_webhook_attempts_total')!.type).toBe('counter');
      expect(families.get('livechat_webhook_attempt_duration_seconds')!.type).toBe('histogram');
      // The process defaults.
      expect(families.get('process_cpu_user_seconds_total')?.type).toBe('counter');
      expect(families.get('nodejs_heap_size_total_bytes')?.type).toBe('gauge');
      // The same exposition read by Prometheus's own client: every sample ours reads, with its value.
      const text = (await scrape(t.url)).text;
      const theirs = readWithPrometheusClient(text);
      const key = (name: string, labels: Record<string, string>) => `${name}${JSON.stringify(Object.entries(labels).sort())}`;
      const theirValues = new Map(theirs.map((s) => [key(s.name, s.labels), s.value]));
      const ours = [...parsePrometheusText(text).values()].flatMap((f) => f.samples);
      expect(theirs).toHaveLength(ours.length);
      // toEqual takes NaN as equal to NaN (prom-client writes `Nan` for a lag with no samples yet).
      for (const sample of ours) expect([sample.name, theirValues.get(key(sample.name, sample.labels))]).toEqual([sample.name, sample.value]);
      const attemptsFamily = theirs.find((s) => s.name === 'livechat_webhook_attempts_total');
      expect(attemptsFamily?.type).toBe('counter');
      expect(theirs.find((s) => s.name === 'livechat_webhook_attempt_duration_seconds_count' && s.labels.webhook_id === id)).toMatchObject({ type: 'histogram', value: 3 });
      // Bounded labels: no delivery id, no URL, anywhere.
      for (const family of families.values()) {
        for (const sample of family.samples) {
          for (const value of Object.values(sample.labels)) {
            expect(value).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-|https?:/i);
          }
        }
      }
    } finally {
      widget.close();
      agent.close();
    }
  });
});

describe('the exposition parser used above', () => {
  it('refuses what the format does not allow', () => {
    expect(() => parsePrometheusText('x 1\n')).toThrow(/without a TYPE/);
    expect(() => parsePrometheusText('# TYPE x counter\nx{a="1} 1\n')).toThrow();
    expect(() => parsePrometheusText('# TYPE x counter\nx{a="\\q"} 1\n')).toThrow(/escape/);
    expect(() => parsePrometheusText('# TYPE x counter\nx one\n')).toThrow(/bad value/);
    expect(() => parsePrometheusText('# TYPE x counter\nx 1\nx 2\n')).toThrow(/repeated/);
    expect(() => parsePrometheusText('# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_count 1\nh_sum 1\n')).toThrow(/cumulative/);
    expect(() => parsePrometheusText('# TYPE h histogram\nh_bucket{le="1"} 1\nh_count 1\nh_sum 1\n')).toThrow(/\+Inf/);
    expect(() => readWithPrometheusClient('# TYPE x counter\nx{a="1} 1\n')).toThrow(/prometheus_client refused/);
    expect(parsePrometheusText('# TYPE g gauge\ng Nan\n').get('g')!.samples[0]!.value).toBeNaN();
    const ok = parsePrometheusText('# HELP x a \\\\ b\n# TYPE x gauge\nx{a="q\\"x\\ny",b="2"} -1.5e3\n');
    expect(ok.get('x')!.samples[0]).toEqual({ name: 'x', labels: { a: 'q"x\ny', b: '2' }, value: -1500 });
  });
});
