import { QueryTypes } from 'sequelize';
import { io, type Socket } from 'socket.io-client';
import { createTestDatabase, dialects, type TestDatabase } from '../support/databases.js';
import { startReceiver, type Receiver } from '../support/receiver.js';
import { startTestServer, TEST_API_KEY, type TestServer } from '../support/server.js';
import { installFakeDns, type FakeDns } from './support/fake-dns.js';

/**
 * Every spelling of a destination a webhook must never reach. Each URL carries the receiver's
 * port, so for the loopback forms a request that slipped through would actually land on it.
 */
const forbiddenHosts: Record<string, string[]> = {
  loopback: ['127.0.0.1', '127.0.0.2', '127.1', '2130706433', '0x7f000001', '0177.0.0.1', '0x7f.0.0.1', '[::1]', '[0:0:0:0:0:0:0:1]', 'localhost', 'localhost.', 'foo.localhost'],
  unspecified: ['0.0.0.0', '0', '[::]'],
  private: ['10.0.0.1', '10.255.255.254', '172.16.0.1', '172.31.255.254', '192.168.0.1', '192.168.255.254'],
  'link-local': ['169.254.0.1', '[fe80::1]'],
  metadata: ['169.254.169.254', '169.254.170.2', '168.63.129.16', '100.100.100.200', '[fd00:ec2::254]', 'metadata.google.internal'],
  CGNAT: ['100.64.0.1', '100.127.255.254'],
  'IPv6 ULA': ['[fc00::1]', '[fd12:3456:789a::1]'],
  'IPv4-mapped': ['[::ffff:127.0.0.1]', '[::ffff:7f00:1]', '[::ffff:10.0.0.1]', '[::ffff:169.254.169.254]', '[::ffff:a9fe:a9fe]'],
  'IPv4-embedded IPv6': ['[64:ff9b::127.0.0.1]', '[64:ff9b::a9fe:a9fe]', '[2002:7f00:1::]', '[2002:a9fe:a9fe::]', '[::127.0.0.1]'],
  'multicast and broadcast': ['224.0.0.1', '255.255.255.255', '[ff02::1]'],
};
const allForms = Object.entries(forbiddenHosts).flatMap(([kind, hosts]) => hosts.map((host) => ({ kind, host })));

describe.each(dialects)('SSRF (%s)', (dialect) => {
  let db: TestDatabase;
  let receiver: Receiver;
  let strict: TestServer;
  let fakeDns: FakeDns;
  const ids = new Map<string, number>();
  const url = (host: string) => `http://${host}:${receiver.port}/ssrf`;
  const api = (server: TestServer, method: string, path: string, body?: unknown) =>
    fetch(`${server.url}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${TEST_API_KEY}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    }).then(async (res) => ({ status: res.status, body: (await res.json().catch(() => null)) as any }));

  beforeAll(async () => {
    fakeDns = installFakeDns();
    fakeDns.set('metadata.google.internal', ['169.254.169.254']);
    // Deterministic answers for the names (whether this machine's resolver knows `localhost.` or not).
    fakeDns.set('localhost', ['127.0.0.1', '::1']);
    fakeDns.set('foo.localhost', ['127.0.0.1']);
    receiver = await startReceiver();
    db = await createTestDatabase(dialect);

    // Webhooks made while an (over-)generous allow-list was in force, as after a config change...
    const lax = await startTestServer(dialect, { WEBHOOK_ALLOWED_HOSTS: '0.0.0.0/0,::/0,localhost,foo.localhost,metadata.google.internal' }, db.url);
    try {
      for (const { host } of allForms) {
        const res = await api(lax, 'POST', '/webhooks', { name: host, url: url(host), events: ['message.received'] });
        if (res.status !== 201) throw new Error(`setup: ${host} refused even with everything allowed: ${JSON.stringify(res.body)}`);
        ids.set(host, res.body.data.id);
      }
    } finally {
      await lax.stop();
    }
    // ... and the same database served with the allow-list back to (almost) nothing.
    // Inline engine: the fake DNS answers in this thread only (a delivery worker has its own resolver).
    strict = await startTestServer(dialect, { WEBHOOK_ALLOWED_HOSTS: 'control.example', WEBHOOK_TIMEOUT_MS: '1500', WEBHOOK_WORKER: 'inline' }, db.url);
  });

  afterAll(async () => {
    await strict?.stop();
    await receiver?.close();
    await db?.drop();
    fakeDns?.restore();
  });

  it.each(allForms)('refuses $kind $host at creation', async ({ host }) => {
    const res = await api(strict, 'POST', '/webhooks', { name: 'x', url: url(host), events: ['message.received'] });
    expect(res.status).toBe(422);
    expect(res.body.errors.url).toEqual([expect.any(String)]);
  });

  it('refuses every form at send time (test action): blocked before connecting, nothing reaches the receiver', async () => {
    const causes: Record<string, string> = {};
    for (const { host } of allForms) {
      const res = await api(strict, 'POST', `/webhooks/${ids.get(host)}/test`);
      expect(res.status).toBe(200);
      causes[host] = res.body.data.cause;
    }
    expect(causes).toEqual(Object.fromEntries(allForms.map(({ host }) => [host, 'blocked_address'])));
    expect(receiver.requests).toHaveLength(0);
  });

  it('refuses every form at send time for a chat event too', async () => {
    const socket: Socket = io(`${strict.url}/widget`, { transports: ['websocket'], forceNew: true });
    try {
      const ack = await socket.timeout(5000).emitWithAck('message:send', { content: 'ssrf probe' });
      expect(ack).toMatchObject({ ok: true });
    } finally {
      socket.disconnect();
    }
    const sequelize = strict.server.sequelize;
    const attempts = async () =>
      sequelize.query<{ cause: string; n: number | string }>(
        `SELECT a.cause, COUNT(*) AS n FROM webhook_delivery_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_row_id
          WHERE d.event = 'message.received' GROUP BY a.cause`,
        { type: QueryTypes.SELECT },
      );
    const deadline = Date.now() + 10_000;
    let rows = await attempts();
    while (rows.reduce((sum, r) => sum + Number(r.n), 0) < allForms.length && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      rows = await attempts();
    }
    expect(Object.fromEntries(rows.map((r) => [r.cause, Number(r.n)]))).toEqual({ blocked_address: allForms.length });
    expect(receiver.requests).toHaveLength(0);
  });

  it('refuses a name whose DNS answer turns private between creation and send (DNS rebinding)', async () => {
    // Control: a name the allow-list trusts, resolving to the receiver, is delivered, so the fake DNS is in use.
    fakeDns.set('control.example', ['127.0.0.1']);
    const control = await api(strict, 'POST', '/webhooks', { name: 'control', url: `http://control.example:${receiver.port}/control`, events: ['message.received'] });
    expect(control.status).toBe(201);
    const sent = await api(strict, 'POST', `/webhooks/${control.body.data.id}/test`);
    expect(sent.body.data).toMatchObject({ success: true, cause: 'ok' });
    expect(receiver.requests.map((r) => r.path)).toEqual(['/control']);

    // At creation the name is public; at send time it points home.
    fakeDns.set('rebind.example', ['93.184.215.14']);
    const created = await api(strict, 'POST', '/webhooks', { name: 'rebind', url: `http://rebind.example:${receiver.port}/rebind`, events: ['message.received'] });
    expect(created.status).toBe(201);
    for (const answer of [['127.0.0.1'], ['93.184.215.14', '127.0.0.1'], ['::ffff:127.0.0.1'], ['169.254.169.254'], ['10.1.2.3']]) {
      fakeDns.set('rebind.example', answer);
      const res = await api(strict, 'POST', `/webhooks/${created.body.data.id}/test`);
      expect({ answer, cause: res.body.data.cause }).toEqual({ answer, cause: 'blocked_address' });
    }
    expect(receiver.requests.map((r) => r.path)).toEqual(['/control']);

    // A name that is private already at creation is refused there.
    fakeDns.set('private.example', ['10.0.0.5']);
    const refused = await api(strict, 'POST', '/webhooks', { name: 'private', url: `https://private.example/hook`, events: ['message.received'] });
    expect(refused.status).toBe(422);
    expect(fakeDns.lookups.get('rebind.example')).toBeGreaterThanOrEqual(6);
  });
});
