import { eventCatalog } from '../../src/events.js';
import { dialects } from '../support/databases.js';
import { startTestServer, TEST_API_KEY, type TestServer } from '../support/server.js';

/**
 * The Delivery logs page as the server sends it, over real HTTP: the chart's place, the filters,
 * finding a delivery and recovering failed ones, each control with its label, under a CSP that
 * allows no inline script. (What the client fills in is checked in test/browser/webhook-chart.)
 */
describe.each(dialects)('the delivery logs page over HTTP on %s', (dialect) => {
  let t: TestServer;
  let cookie = '';
  let id = 0;

  beforeAll(async () => {
    t = await startTestServer(dialect);
    const login = await fetch(`${t.url}/admin/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: t.url },
      body: new URLSearchParams({ api_key: TEST_API_KEY, next: '/admin/webhooks' }).toString(),
    });
    cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const created = await fetch(`${t.url}/api/v1/webhooks`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${TEST_API_KEY}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'Orders', url: 'http://127.0.0.1:9/hook', events: ['message.received'] }),
    });
    id = ((await created.json()) as { data: { id: number } }).data.id;
  });
  afterAll(async () => {
    await t?.stop();
  });

  const page = async (path: string) => {
    const res = await fetch(t.url + path, { headers: { cookie }, redirect: 'manual' });
    return { status: res.status, csp: res.headers.get('content-security-policy') ?? '', html: await res.text() };
  };
  /** The text a person reads: tags dropped, entities of the page decoded, spaces collapsed. */
  const visibleText = (html: string) =>
    html
      .replace(/<(script|style|title)[^>]*>[\s\S]*?<\/\1>/g, ' ')
      .replace(/<[^>]+>/g, ' ')
      .replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&')
      .replace(/\s+/g, ' ')
      .trim();

  it('has the chart, the filters, finding by id and recovering, in that order', async () => {
    const { status, html } = await page(`/admin/webhooks/${id}/deliveries`);
    expect(status).toBe(200);
    const text = visibleText(html);
    const order = ['Delivery logs', 'Last 24 hours', 'Loading the chart…', 'Status All statuses', 'Event All events', 'Delivery ID', 'Find', 'Loading deliveries…', 'Recover failed deliveries', 'From To Queue failed deliveries again'];
    const at = order.map((s) => text.indexOf(s));
    expect(at.every((i) => i >= 0)).toBe(true);
    expect(at).toEqual([...at].sort((a, b) => a - b));
    expect(text).toContain('After an outage: queue again every failed delivery of this webhook created in the window');
    // Every event of the catalog can be picked, Test presses included.
    const options = [...html.matchAll(/<select id="event-filter">([\s\S]*?)<\/select>/g)][0]![1]!;
    expect([...options.matchAll(/<option value="([^"]*)">/g)].map((m) => m[1])).toEqual(['', ...Object.keys(eventCatalog)]);
    expect(Object.keys(eventCatalog)).toContain('webhook.test');
  });

  it('labels every control it has', async () => {
    const { html } = await page(`/admin/webhooks/${id}/deliveries`);
    const controls = [...html.matchAll(/<(?:input|select)\b[^>]*\bid="([^"]+)"/g)].map((m) => m[1]);
    expect(controls.sort()).toEqual(['event-filter', 'find-id', 'recover-since', 'recover-until', 'status-filter']);
    for (const control of controls) expect(html).toContain(`<label for="${control}">`);
  });

  it('loads its code as a file under a CSP without inline scripts, and that code draws the chart', async () => {
    const { html, csp } = await page(`/admin/webhooks/${id}/deliveries`);
    expect(csp).toMatch(/script-src 'self'/);
    expect(csp).not.toContain('unsafe-inline');
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    const src = /<script type="module" src="([^"]*deliveries\.js)"><\/script>/.exec(html)![1]!;
    const bundle = await fetch(t.url + src);
    expect(bundle.status).toBe(200);
    // The chart comes from the server's own renderer, bundled: its class and legend are in the code.
    const code = await bundle.text();
    expect(code).toContain('webhook-chart');
    expect(code).toContain('p95 latency');
  });
});
