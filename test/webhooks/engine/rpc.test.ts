import type { Server } from 'node:http';
import { threadId, type Worker } from 'node:worker_threads';
import express from 'express';
import { apiErrorHandler } from '../../../src/webhooks/api/error-handler.js';
import { ApiError, NotFoundError, TooManyAttemptsError, ValidationError } from '../../../src/webhooks/api/errors.js';
import { createLogger } from '../../../src/logger.js';
import { BlockedAddressError } from '../../../src/webhooks/http/address-guard.js';
import { decodeError, encodeError } from '../../../src/webhooks/thread/error-codec.js';
import { wantsDeliveryThread } from '../../../src/webhooks/thread/host.js';
import { createProxy, type Remote } from '../../../src/webhooks/thread/rpc.js';
import { startWorker } from '../../../src/webhooks/thread/start-worker.js';
import { startReceiver, type Receiver } from '../../support/receiver.js';
import { startTestServer, type TestServer } from '../../support/server.js';
import { apiClient, seedDeliveries, webhookBody, type ApiClient } from '../api/helpers.js';
import { failure, failureKinds, fixtureMark, fixtureMethods, type FailureKind, type RpcFixture } from './rpc-worker.js';

/** What a caller can observe of an error: its class, and every field the API or a log reads. */
const observed = (err: unknown) => {
  const e = err as Error & Record<string, unknown>;
  return {
    classes: [ApiError, NotFoundError, ValidationError, TooManyAttemptsError, BlockedAddressError, Error].filter((c) => e instanceof c).map((c) => c.name),
    name: e.name,
    message: e.message,
    code: e.code,
    status: e.status,
    errors: e.errors,
    retryAfterSeconds: e.retryAfterSeconds,
    host: e.host,
    errno: e.errno,
    cause: e.cause instanceof Error ? e.cause.message : e.cause,
  };
};

const thrown = async (run: () => Promise<unknown>): Promise<unknown> => {
  try {
    await run();
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
};

describe('the RPC between threads', () => {
  let worker: Worker;
  let remote: Remote<RpcFixture>;

  beforeAll(async () => {
    worker = startWorker(new URL('./rpc-worker.ts', import.meta.url), fixtureMark);
    remote = createProxy<RpcFixture>(worker, fixtureMethods);
  });
  afterAll(async () => {
    await worker?.terminate();
  });

  it('runs the call in the other thread and answers its value, structured-cloned', async () => {
    expect(await remote.threadId()).toBe(worker.threadId);
    expect(worker.threadId).not.toBe(threadId);
    const value = { at: new Date('2024-05-01T10:00:00.000Z'), list: [1, 'two', null], nested: { ok: true }, bytes: new Uint8Array([1, 2]) };
    expect(await remote.echo(value)).toEqual(value);
    // Concurrent calls each get their own answer.
    expect(await Promise.all([1, 2, 3].map((n) => remote.echo(n)))).toEqual([1, 2, 3]);
  });

  it.each(failureKinds)('rejects with the thrown error rebuilt as its own class and fields: %s', async (kind) => {
    const inline = await thrown(async () => {
      throw failure(kind);
    });
    const across = await thrown(() => remote.fail(kind));
    expect(observed(across)).toEqual(observed(inline instanceof Error ? inline : new Error(String(inline))));
    // The stack is the one where it was thrown (a thrown string has none).
    if (inline instanceof Error) expect((across as Error).stack).toContain('rpc-worker.ts');
  });

  it('refuses a method it does not serve', async () => {
    const wider = createProxy<RpcFixture & { secret(): Promise<void> }>(worker, [...fixtureMethods, 'secret']);
    await expect(wider.secret()).rejects.toThrow('unknown call secret');
  });

  it('fails a waiting call when the other thread ends', async () => {
    const other = startWorker(new URL('./rpc-worker.ts', import.meta.url), fixtureMark);
    const proxy = createProxy<RpcFixture>(other, fixtureMethods, { closed: () => new Error('the fixture stopped') });
    expect(await proxy.echo('up')).toBe('up');
    const waiting = proxy.hang();
    await other.terminate();
    await expect(waiting).rejects.toThrow('the fixture stopped');
  });

  it('encodes what cannot be cloned as plain data, and a cause chain', () => {
    const err = Object.assign(new Error('outer', { cause: new Error('inner', { cause: 'root' }) }), { code: 'E_OUTER', handle: () => 1, big: 1n, self: {} as unknown });
    (err.self as Record<string, unknown>).me = err.self;
    const encoded = encodeError(err);
    expect(structuredClone(encoded)).toEqual(encoded);
    expect(encoded.fields).toEqual({ code: 'E_OUTER' });
    const back = decodeError(encoded);
    expect(observed(back)).toMatchObject({ message: 'outer', code: 'E_OUTER', cause: 'inner' });
    expect((back.cause as Error).cause).toBeInstanceOf(Error);
  });

  describe('the API error handler answers a rebuilt error as it answers the original', () => {
    let server: Server;
    let base: string;

    beforeAll(async () => {
      const app = express();
      // `/here/:kind` throws in this thread; `/thread/:kind` awaits the worker's throw.
      app.get('/:mode/:kind', async (req) => {
        const kind = req.params.kind as FailureKind;
        if (req.params.mode === 'thread') await remote.fail(kind);
        throw failure(kind);
      });
      app.use(apiErrorHandler(createLogger('silent'), '1mb'));
      server = app.listen(0, '127.0.0.1');
      await new Promise((resolve) => server.once('listening', resolve));
      base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    });
    afterAll(async () => {
      await new Promise((resolve) => server?.close(resolve));
    });

    it.each(failureKinds)('%s', async (kind) => {
      const answer = async (mode: string) => {
        const res = await fetch(`${base}/${mode}/${kind}`);
        return { status: res.status, retryAfter: res.headers.get('retry-after'), body: await res.json() };
      };
      const inline = await answer('here');
      expect(await answer('thread')).toEqual(inline);
      if (kind === 'validation') expect(inline.status).toBe(422);
      if (kind === 'not-found') expect(inline.status).toBe(404);
    });
  });
});

/**
 * The REST API over an inline engine and over a worker-thread engine (both on MariaDB, each its own
 * database): the engine actions' refusals answer with the same status and the same JSON body.
 */
describe('the REST API answers the engine actions alike, inline and from the worker thread', () => {
  const servers: Record<'inline' | 'thread', { t: TestServer; api: ApiClient; webhookId: number; deliveryId: string }> = {} as never;
  let receiver: Receiver;

  beforeAll(async () => {
    receiver = await startReceiver();
    for (const mode of ['inline', 'thread'] as const) {
      const t = await startTestServer('mysql', { WEBHOOK_WORKER: mode });
      // The predicate buildDeliveryEngine follows: this server's engine runs where its name says.
      expect(wantsDeliveryThread(t.config, t.server.sequelize)).toBe(mode === 'thread');
      const api = apiClient(t.url);
      const created = await api.post('/webhooks', webhookBody(receiver.url, { is_active: false }));
      const [deliveryId] = await seedDeliveries(t.server.sequelize, created.body.data.id, [{ status: 'failed', createdAt: new Date(Date.now() - 60_000) }]);
      servers[mode] = { t, api, webhookId: created.body.data.id, deliveryId: deliveryId! };
    }
  });
  afterAll(async () => {
    for (const s of Object.values(servers)) await s?.t.stop();
    await receiver?.close();
  });

  /** The same request to both servers; `path` may name the server's {webhook} and {delivery}. */
  const both = async (method: 'post', path: string, body?: unknown, raw?: string) => {
    const answers = [];
    for (const mode of ['inline', 'thread'] as const) {
      const s = servers[mode];
      const p = path.replace('{webhook}', String(s.webhookId)).replace('{delivery}', s.deliveryId);
      const res = await s.api.call(method.toUpperCase(), p, body, raw === undefined ? {} : { raw });
      answers.push({ status: res.status, body: res.body });
    }
    expect(answers[1]).toEqual(answers[0]);
    return answers[0]!;
  };

  it.each([
    ['test of an unknown webhook', '/webhooks/987654/test', undefined, 404],
    ['test with a malformed id', '/webhooks/abc/test', undefined, 404],
    ['redeliver of an unknown delivery', '/webhooks/{webhook}/deliveries/00000000-0000-4000-8000-000000000000/redeliver', undefined, 404],
    ['redeliver in an unknown webhook', '/webhooks/987654/deliveries/{delivery}/redeliver', undefined, 404],
    ['recover with since after until', '/webhooks/{webhook}/recover', { since: '2024-05-02T00:00:00Z', until: '2024-05-01T00:00:00Z' }, 422],
    ['recover with no since', '/webhooks/{webhook}/recover', {}, 422],
    ['recover with a date that is not one', '/webhooks/{webhook}/recover', { since: 'yesterday' }, 422],
    ['recover of an unknown webhook', '/webhooks/987654/recover', { since: '2024-05-01T00:00:00Z' }, 404],
    ['recover with an empty window', '/webhooks/{webhook}/recover', { since: '2001-01-01T00:00:00Z', until: '2001-01-02T00:00:00Z' }, 200],
  ] as const)('%s', async (_name, path, body, status) => {
    expect((await both('post', path, body)).status).toBe(status);
  });

  it('recover with a malformed JSON body', async () => {
    expect((await both('post', '/webhooks/{webhook}/recover', undefined, '{"since":')).status).toBe(400);
  });

  it('redeliver of a known delivery answers 200 in both', async () => {
    for (const mode of ['inline', 'thread'] as const) {
      const s = servers[mode];
      const res = await s.api.post(`/webhooks/${s.webhookId}/deliveries/${s.deliveryId}/redeliver`);
      expect({ mode, status: res.status, message: res.body.message }).toEqual({ mode, status: 200, message: 'Delivery queued again' });
    }
  });
});
