import { dialects } from '../support/databases.js';
import { startReceiver, type Receiver } from '../support/receiver.js';
import { startTestServer, TEST_API_KEY, type TestServer } from '../support/server.js';

/**
 * A receiver's answer is input too: its body and the error quoting it reach the delivery log.
 * A U+0000 in them used to end the SQL statement on SQLite, so the attempt was never recorded
 * and the delivery stayed pending.
 */
describe.each(dialects)("a receiver's answer holding U+0000 (%s)", (dialect) => {
  let server: TestServer;
  let receiver: Receiver;
  const answer = '{"message":"bad\u0000thing"}';

  beforeAll(async () => {
    receiver = await startReceiver(() => ({ status: 500, body: answer, headers: { 'content-type': 'application/json' } }));
    server = await startTestServer(dialect);
  });

  afterAll(async () => {
    await server?.stop();
    await receiver?.close();
  });

  const api = async (path: string, method = 'GET', body?: unknown) => {
    const res = await fetch(`${server.url}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${TEST_API_KEY}`, 'content-type': 'application/json' },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json()) as any };
  };

  it('is recorded in the delivery log as it came, and the delivery ends failed', async () => {
    const created = await api('/webhooks', 'POST', { name: 'nul answer', url: receiver.url, events: ['message.received'] });
    const id = created.body.data.id;
    const test = await api(`/webhooks/${id}/test`, 'POST');
    expect(test.status).toBe(200);
    expect(test.body.data.status_code).toBe(500);

    const detail = await api(`/webhooks/${id}/deliveries/${test.body.data.delivery_id}`);
    expect(detail.status).toBe(200);
    expect(detail.body.data.status).toBe('failed');
    expect(detail.body.data.last_error).toContain('bad\u0000thing');
    expect(detail.body.data.attempts).toHaveLength(1);
    expect(detail.body.data.attempts[0].response_body).toBe(answer);
  });
});
