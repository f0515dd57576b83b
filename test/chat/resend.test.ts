import type { Socket } from 'socket.io-client';
import { createChatContext } from '../../src/chat/actions/context.js';
import { sendVisitorMessage } from '../../src/chat/actions/visitor-actions.js';
import { WidgetRateLimits } from '../../src/chat/rate-limits.js';
import { hashVisitorToken, newVisitorToken } from '../../src/chat/visitor-token.js';
import type { HookPayload } from '../../src/hooks.js';
import { dialects } from '../support/databases.js';
import { call, collect, connectAgent, connectWidget, ok, sleep } from './clients.js';
import { startChatHarness, type ChatHarness } from './harness.js';
import { TEST_API_KEY } from '../support/server.js';

/**
 * The ack deadline: one test waits it out on purpose; every other send must answer within it. At
 * 500 ms a CI run failed three sends on MariaDB while other suites loaded the machine.
 */
const ACK_TIMEOUT_MS = 3000;

/** SPEC §3 "Resending is safe": a `client_message_id` used twice stores and fires once. */
describe.each(dialects)('message:send resends on %s', (dialect) => {
  let h: ChatHarness;
  const sockets: Socket[] = [];
  const fired: HookPayload[] = [];
  const widget = async (auth: Record<string, unknown> = {}) => {
    const w = await connectWidget(h.url, auth);
    sockets.push(w.socket);
    return w;
  };
  const rows = async (clientId: string) => {
    const [found] = await h.sequelize.query('SELECT id, content, visitor_id FROM messages WHERE client_message_id = ?', { replacements: [clientId] });
    return found as { id: number; content: string; visitor_id: number }[];
  };
  const hooksFor = (content: string) => fired.filter((p) => p.event === 'message.received' && (p.data as { content?: string }).content === content);
  const waitForHooks = async (content: string, count: number) => {
    for (let i = 0; i < 100 && hooksFor(content).length < count; i++) await sleep(20);
    return hooksFor(content);
  };

  beforeAll(async () => {
    h = await startChatHarness(dialect, { ackTimeoutMs: ACK_TIMEOUT_MS });
    h.hooks.on('message.received', (p) => void fired.push(p as HookPayload));
  });
  afterAll(async () => {
    for (const s of sockets) s.close();
    await h?.stop();
  });

  it('answers a resend after success with the original ack: one row, one hook, no second push to agents', async () => {
    const agent = await connectAgent(h.url, { apiKey: TEST_API_KEY });
    sockets.push(agent);
    const pushed = collect<{ content: string }>(agent, 'message');
    const { socket } = await widget();
    const first = await ok(socket, 'message:send', { content: 'once only', client_message_id: 'm-1' });
    const again = await ok(socket, 'message:send', { content: 'once only', client_message_id: 'm-1' });
    expect(again).toEqual(first);
    expect(await rows('m-1')).toHaveLength(1);
    expect(await waitForHooks('once only', 1)).toHaveLength(1);
    await ok(socket, 'message:send', { content: 'a marker after the resend' });
    for (let i = 0; i < 100 && !pushed.some((m) => m.content === 'a marker after the resend'); i++) await sleep(20);
    expect(pushed.filter((m) => m.content === 'once only')).toHaveLength(1);
    expect(hooksFor('once only')).toHaveLength(1);
  });

  it('answers the original even when the resend carries other content, and from a reconnected socket', async () => {
    const { socket, session } = await widget();
    const first = await ok(socket, 'message:send', { content: 'the original', client_message_id: 'edit-me' });
    socket.close();
    const { socket: again } = await widget({ token: session.visitor_token });
    expect(await ok(again, 'message:send', { content: 'changed on resend', client_message_id: 'edit-me' })).toEqual(first);
    expect((await rows('edit-me')).map((r) => r.content)).toEqual(['the original']);
    expect(hooksFor('changed on resend')).toEqual([]);
  });

  it('keeps ids per visitor and byte-exact: another visitor, another case or a trailing space is a new message', async () => {
    const a = await widget();
    const b = await widget();
    const ids = ['Same', 'same', 'same ', ' same'];
    const acks = [];
    for (const id of ids) acks.push(await ok(a.socket, 'message:send', { content: `a:${JSON.stringify(id)}`, client_message_id: id }));
    const fromB = await ok(b.socket, 'message:send', { content: 'b:same', client_message_id: 'same' });
    expect(new Set([...acks, fromB].map((ack) => ack.message_id)).size).toBe(5);
    expect(await rows('same')).toHaveLength(2);
  });

  it('stores one row for two sends of one id at the same time, and both hear the same ack', async () => {
    const { socket } = await widget();
    const [x, y] = await Promise.all([
      call(socket, 'message:send', { content: 'double click', client_message_id: 'dbl' }),
      call(socket, 'message:send', { content: 'double click', client_message_id: 'dbl' }),
    ]);
    expect(x).toMatchObject({ ok: true });
    expect(y).toEqual(x);
    expect(await rows('dbl')).toHaveLength(1);
    expect(await waitForHooks('double click', 1)).toHaveLength(1);
  });

  it('lets a resend join a try that outlived its ack deadline, then answers what that try stored', async () => {
    const { socket } = await widget();
    await ok(socket, 'conversation:start', {});
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const remove = h.hooks.onDurable('message.received', async ({ data }) => {
      if (data.content === 'slow one') await held;
    });
    try {
      const timedOut = await call(socket, 'message:send', { content: 'slow one', client_message_id: 'slow' });
      expect(timedOut).toMatchObject({ ok: false, error: { code: 'internal' } });
      const resend = call(socket, 'message:send', { content: 'slow one', client_message_id: 'slow' });
      await sleep(50);
      release();
      const settled = await resend;
      expect(settled).toMatchObject({ ok: true });
      expect(await rows('slow')).toHaveLength(1);
      expect(await ok(socket, 'message:send', { content: 'slow one', client_message_id: 'slow' })).toEqual(settled);
    } finally {
      release();
      remove();
    }
    expect(await waitForHooks('slow one', 1)).toHaveLength(1);
  });

  it('stores the message on a resend when the first try failed and stored nothing', async () => {
    const { socket } = await widget();
    const remove = h.hooks.onDurable('message.received', async () => {
      throw new Error('outbox insert failed');
    });
    const failed = await call(socket, 'message:send', { content: 'second time lucky', client_message_id: 'retry-me' }).finally(remove);
    expect(failed).toMatchObject({ ok: false, error: { code: 'internal' } });
    expect(await rows('retry-me')).toHaveLength(0);
    const stored = await ok(socket, 'message:send', { content: 'second time lucky', client_message_id: 'retry-me' });
    expect((await rows('retry-me')).map((r) => r.id)).toEqual([stored.message_id]);
    expect(await waitForHooks('second time lucky', 1)).toHaveLength(1);
  });

  it('refuses a client_message_id that is empty, longer than 64 characters or not a string', async () => {
    const { socket } = await widget();
    for (const bad of ['', 'x'.repeat(65), 42, null, ['a']]) {
      expect(await call(socket, 'message:send', { content: 'hello', client_message_id: bad })).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    }
    expect(await ok(socket, 'message:send', { content: 'hello', client_message_id: 'x'.repeat(64) })).toMatchObject({ ok: true });
  });

  it('makes a resend on another instance wait for a first try still blocked in its transaction, then answer it', async () => {
    const instances = [1, 2].map(() =>
      createChatContext({ sequelize: h.sequelize, hooks: h.hooks, limits: new WidgetRateLimits({ messagesPerMinute: 1000, conversationsPerHour: 1000 }) }),
    );
    const { socket, session } = await widget();
    await ok(socket, 'conversation:start', {});
    const [visitor] = (await h.sequelize.query('SELECT id FROM visitors WHERE token_hash = ?', { replacements: [hashVisitorToken(session.visitor_token)] }))[0] as { id: number }[];
    const who = { tokenHash: hashVisitorToken(session.visitor_token), visitorId: visitor!.id, ip: null };

    for (const outcome of ['commits', 'rolls back'] as const) {
      const content = `blocked first try that ${outcome}`;
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      let entered!: () => void;
      const inside = new Promise<void>((resolve) => (entered = resolve));
      let tries = 0;
      const remove = h.hooks.onDurable('message.received', async ({ data }) => {
        if ((data as { content?: string }).content !== content || ++tries > 1) return;
        entered();
        await held;
        if (outcome === 'rolls back') throw new Error('the first try fails after all');
      });
      try {
        const input = { content, client_message_id: outcome };
        const first = sendVisitorMessage(instances[0]!, who, input);
        first.catch(() => undefined);
        await inside; // the first try holds the visitor row (MySQL) or the write lock (SQLite)
        let resendDone = false;
        const resend = sendVisitorMessage(instances[1]!, who, input).finally(() => (resendDone = true));
        await sleep(200);
        expect(resendDone).toBe(false); // waiting, not answering and not storing
        release();
        if (outcome === 'commits') {
          const [a, b] = await Promise.all([first, resend]);
          expect(b).toMatchObject({ duplicate: true, message: { id: a.message.id, created_at: a.message.created_at } });
        } else {
          await expect(first).rejects.toThrow('fails after all');
          expect(await resend).toMatchObject({ duplicate: false });
        }
        expect(await rows(outcome)).toHaveLength(1);
        expect(await waitForHooks(content, 1)).toHaveLength(1);
      } finally {
        release();
        remove();
      }
    }
  });

  it('keeps one row when two instances take the same first send of a new visitor at once', async () => {
    // Two chat contexts on one database are two server instances: no shared in-process state.
    const limits = () => new WidgetRateLimits({ messagesPerMinute: 1000, conversationsPerHour: 1000 });
    const instances = [1, 2].map(() => createChatContext({ sequelize: h.sequelize, hooks: h.hooks, limits: limits() }));
    for (let round = 0; round < 5; round++) {
      const who = { tokenHash: hashVisitorToken(newVisitorToken()), visitorId: null, ip: '203.0.113.9' };
      const input = { content: `race ${round}`, client_message_id: `race-${round}` };
      // The loser's visitor insert hits the token's unique key once the winner commits; it must
      // answer the winner's message, not fail and not store a second one.
      const answered = await Promise.all(instances.map((ctx) => sendVisitorMessage(ctx, who, input)));
      expect(new Set(answered.map((r) => r.message.id)).size).toBe(1);
      expect(answered.filter((r) => !r.duplicate)).toHaveLength(1);
      expect(await rows(`race-${round}`)).toHaveLength(1);
      expect(await waitForHooks(`race ${round}`, 1)).toHaveLength(1);
      // Whatever the first answers were, a resend now settles it with the stored message.
      const resend = await sendVisitorMessage(instances[0]!, who, input);
      expect(resend).toMatchObject({ duplicate: true, message: { id: answered[0]!.message.id } });
    }
  });
});
