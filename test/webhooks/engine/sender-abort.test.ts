import { getEventListeners } from 'node:events';
import got from 'got';
import { createAddressGuard } from '../../../src/webhooks/http/address-guard.js';
import { createDeliveryGot, Sender, type DeliveryGot, type SendRequest } from '../../../src/webhooks/http/sender.js';
import { startReceiver, type Receiver } from '../../support/receiver.js';

// The engine hands one long-lived shutdown signal to every attempt: an attempt that leaves its
// listener behind keeps its whole request alive for the life of the process (bench F1).
describe('the sender and the shutdown signal', () => {
  let receiver: Receiver;
  let delivery: DeliveryGot;
  let sender: Sender;

  beforeAll(async () => {
    receiver = await startReceiver();
    const guard = createAddressGuard(['127.0.0.1']);
    delivery = createDeliveryGot(got, guard);
    sender = new Sender({ got: delivery.got, guard, timeoutMs: 2000 });
  });
  afterAll(async () => {
    delivery?.close();
    await receiver?.close();
  });
  beforeEach(() => {
    receiver.clear();
    receiver.respond(() => ({}));
  });

  const request = (n: number): SendRequest => ({
    url: receiver.url,
    body: JSON.stringify({ n }),
    event: 'message.received',
    deliveryId: `d-${n}`,
    secret: null,
    isTest: false,
    format: 'json',
  });

  it('leaves no listener on the signal after attempts that succeed, fail or break', async () => {
    const controller = new AbortController();
    receiver.respond((_req, i) => (i % 3 === 0 ? { status: 200, body: 'ok' } : i % 3 === 1 ? { status: 500 } : { reset: true }));
    const results = await Promise.all(Array.from({ length: 60 }, (_, n) => sender.send(request(n), controller.signal)));
    expect(results.filter((r) => r.outcome.ok)).toHaveLength(20);
    expect(results.filter((r) => r.statusCode === 500)).toHaveLength(20);
    expect(results.filter((r) => r.statusCode === null)).toHaveLength(20);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('still ends an attempt in flight when the signal aborts, as a retryable failure', async () => {
    const controller = new AbortController();
    receiver.respond(() => ({ hang: true }));
    const sending = sender.send(request(1), controller.signal);
    await receiver.waitFor(1, 2000);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    controller.abort();
    const result = await sending;
    expect(result.outcome).toMatchObject({ ok: false, cause: 'connection', permanent: false });
    expect(result.error).toMatch(/aborted/);
    expect(result.durationMs).toBeLessThan(1000);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('does not send at all when the signal has already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    const result = await sender.send(request(2), controller.signal);
    expect(result.outcome.ok).toBe(false);
    expect(result.error).toMatch(/aborted/);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });
});
