import type { Socket } from 'socket.io-client';
import { dialects } from '../support/databases.js';
import { startTestServer, TEST_API_KEY, type TestServer } from '../support/server.js';
import type { HookPayload } from '../../src/hooks.js';
import { call, connectAgent, connectWidget, ok, sleep, type Ack } from './clients.js';

const withProto = (json: string) => JSON.parse(json) as unknown;
const long = (n: number) => 'x'.repeat(n);

/** Payloads no event accepts. */
const notObjects: [string, unknown][] = [
  ['a string', 'hello'],
  ['a number', 42],
  ['a boolean', true],
  ['null', null],
  ['an empty array', []],
  ['an array of the right object', [{ content: 'hi' }]],
];

const widgetCases: [string, string, unknown][] = [
  ...notObjects.map(([name, p]): [string, string, unknown] => ['message:send', name, p]),
  ...notObjects.map(([name, p]): [string, string, unknown] => ['conversation:start', name, p]),
  ...notObjects.map(([name, p]): [string, string, unknown] => ['typing', name, p]),
  ['message:send', 'missing content', {}],
  ['message:send', 'empty content', { content: '' }],
  ['message:send', 'blank content', { content: ' \n\t ' }],
  ['message:send', '5001 characters', { content: long(5001) }],
  ['message:send', '200 KB of content', { content: long(200_000) }],
  ['message:send', 'numeric content', { content: 12345 }],
  ['message:send', 'nested object content', { content: { text: 'hi' } }],
  ['message:send', 'array content', { content: ['hi'] }],
  ['message:send', 'null content', { content: null }],
  ['message:send', 'an extra field', { content: 'hi', is_from_admin: true }],
  ['message:send', 'a __proto__ key', withProto('{"content":"hi","__proto__":{"is_from_admin":true}}')],
  ['message:send', 'a constructor key', { content: 'hi', constructor: { prototype: { polluted: true } } }],
  ['message:send', 'a javascript: current_url', { content: 'hi', current_url: 'javascript:alert(1)' }],
  ['message:send', 'an oversized current_url', { content: 'hi', current_url: `https://a.example/${long(3000)}` }],
  ['conversation:start', 'a 256-character name', { name: long(256) }],
  ['conversation:start', 'an invalid email', { email: 'not-an-email' }],
  ['conversation:start', 'a numeric phone', { phone: 5550100 }],
  ['conversation:start', 'an unknown field', { name: 'x', role: 'admin' }],
  ['conversation:start', 'a __proto__ key', withProto('{"__proto__":{"polluted":true}}')],
  ['typing', 'a string is_typing', { is_typing: 'yes' }],
  ['typing', 'missing is_typing', {}],
  ['conversation:close', 'an unexpected field', { conversation_id: 1 }],
];

const agentCases: [string, string, unknown][] = [
  ...notObjects.map(([name, p]): [string, string, unknown] => ['message:send', name, p]),
  ['message:send', 'a string conversation_id', { conversation_id: '1', content: 'hi' }],
  ['message:send', 'a fractional conversation_id', { conversation_id: 1.5, content: 'hi' }],
  ['message:send', 'a negative conversation_id', { conversation_id: -1, content: 'hi' }],
  ['message:send', 'a huge conversation_id', { conversation_id: 2 ** 40, content: 'hi' }],
  ['message:send', 'missing content', { conversation_id: 1 }],
  ['message:send', '5001 characters', { conversation_id: 1, content: long(5001) }],
  ['message:send', 'an overlong admin_name', { conversation_id: 1, content: 'hi', admin_name: long(256) }],
  ['conversations:list', 'an unknown status', { status: 'pending' }],
  ['conversations:list', 'null', null],
  ['conversation:close', 'missing conversation_id', {}],
  ['conversation:messages', 'a zero limit', { conversation_id: 1, limit: 0 }],
  ['conversation:messages', 'an object id', { conversation_id: { $gt: 0 } }],
];

describe.each(dialects)('bad payloads on %s', (dialect) => {
  let t: TestServer;
  let visitor: Socket;
  let agent: Socket;
  const fired: HookPayload[] = [];

  beforeAll(async () => {
    t = await startTestServer(dialect, { WIDGET_MESSAGES_PER_MINUTE: '1000' });
    for (const event of ['conversation.started', 'message.received', 'message.sent', 'conversation.closed'] as const) {
      t.server.hooks.on(event, (p) => void fired.push(p as HookPayload));
    }
    visitor = (await connectWidget(t.url)).socket;
    agent = await connectAgent(t.url, { apiKey: TEST_API_KEY });
  });
  afterAll(async () => {
    visitor?.close();
    agent?.close();
    await t?.stop();
  });

  const expectInvalid = (ack: Ack) => expect(ack).toEqual({ ok: false, error: { code: 'invalid_input', message: expect.any(String) } });

  it.each(widgetCases)('widget %s with %s: invalid_input, still connected', async (event, _name, payload) => {
    expectInvalid(await call(visitor, event, payload));
    expect(visitor.connected).toBe(true);
  });

  it.each(agentCases)('agent %s with %s: invalid_input, still connected', async (event, _name, payload) => {
    expectInvalid(await call(agent, event, payload));
    expect(agent.connected).toBe(true);
  });

  it('names the offending field in the message', async () => {
    const ack = await call(visitor, 'message:send', { content: long(5001) });
    expect(!ack.ok && ack.error.message).toMatch(/^content: /);
  });

  it('answers invalid_input for no payload and for two payloads', async () => {
    const none = await visitor.timeout(5000).emitWithAck('message:send');
    expectInvalid(none as Ack);
    const two = await visitor.timeout(5000).emitWithAck('message:send', { content: 'a' }, { content: 'b' });
    expectInvalid(two as Ack);
  });

  it('ignores an event without an ack callback, and stays usable', async () => {
    visitor.emit('message:send', { content: 'nobody will be told about this' });
    visitor.emit('conversation:start', {});
    await sleep(200);
    expect(visitor.connected).toBe(true);
    expect(fired).toEqual([]);

    // Nothing above stored or fired anything; a valid message still works.
    const sent = await ok(visitor, 'message:send', { content: 'a proper message' });
    const history = await ok(agent, 'conversation:messages', { conversation_id: sent.conversation_id });
    expect((history.messages as { content: string }[]).map((m) => m.content)).toEqual(['a proper message']);
    await sleep(50);
    expect(fired.map((p) => p.event)).toEqual(['conversation.started', 'message.received']);
  });

  it('keeps the prototype untouched', () => {
    expect(({} as Record<string, unknown>).is_from_admin).toBeUndefined();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
