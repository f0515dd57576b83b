import { clientIp } from '../../src/chat/client-ip.js';
import { excerpt, conversationSummary, messageData } from '../../src/chat/event-data.js';
import { hashVisitorToken, isWellFormedToken, newVisitorToken } from '../../src/chat/visitor-token.js';
import { toAckError, ChatError } from '../../src/chat/errors.js';
import { SerialQueue, withDeadline, InFlight } from '../../src/chat/in-flight.js';
import { messageData as messageSchema } from '../../src/events.js';
import type { ConversationRow, MessageRow } from '../../src/chat/store/models.js';

describe('clientIp', () => {
  it.each<[string | undefined, string | string[] | undefined, boolean | number, string | null]>([
    ['127.0.0.1', undefined, false, '127.0.0.1'],
    ['::ffff:10.1.2.3', undefined, false, '10.1.2.3'],
    ['::1', undefined, false, '::1'],
    ['10.0.0.1', '203.0.113.9, 10.0.0.1', false, '10.0.0.1'],
    ['10.0.0.1', '203.0.113.9, 10.0.0.1', true, '203.0.113.9'],
    ['10.0.0.1', ' 2001:db8::1 ,10.0.0.1', true, '2001:db8::1'],
    ['10.0.0.1', 'not-an-ip, 203.0.113.9', true, '203.0.113.9'],
    ['10.0.0.1', ['198.51.100.4', '10.0.0.2'], true, '198.51.100.4'],
    ['10.0.0.1', '', true, '10.0.0.1'],
    [undefined, undefined, false, null],
    ['garbage', undefined, false, null],
    // A hop count believes only that many proxies: what the client prepends is ignored.
    ['10.0.0.1', 'spoofed-or-not, 198.51.100.1, 203.0.113.9', 1, '203.0.113.9'],
    ['10.0.0.1', '192.0.2.77, 203.0.113.9', 1, '203.0.113.9'],
    ['10.0.0.1', '192.0.2.77, 203.0.113.9, 10.0.0.2', 2, '203.0.113.9'],
    ['10.0.0.1', '203.0.113.9', 5, '203.0.113.9'],
    ['10.0.0.1', undefined, 1, '10.0.0.1'],
    ['10.0.0.1', '203.0.113.9', 0, '10.0.0.1'],
    ['10.0.0.1', 'not-an-ip', 1, '10.0.0.1'],
    ['10.0.0.1', ['192.0.2.77', '203.0.113.9'], 1, '203.0.113.9'],
  ])('(%s, %j, trust=%s) → %s', (remote, xff, trust, expected) => {
    expect(clientIp(remote, xff, trust)).toBe(expected);
  });
});

describe('visitor tokens', () => {
  it('are 256-bit base64url, distinct, and only their sha256 is stored', () => {
    const a = newVisitorToken();
    const b = newVisitorToken();
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(a).not.toBe(b);
    expect(hashVisitorToken(a)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashVisitorToken(a)).not.toContain(a);
    expect(isWellFormedToken(a)).toBe(true);
    for (const bad of [undefined, null, 42, '', 'short', a + 'x', `${a.slice(0, 42)}=`, { a }]) expect(isWellFormedToken(bad)).toBe(false);
  });
});

describe('event data', () => {
  const at = new Date('2024-05-06T07:08:09.010Z');
  const conversation: ConversationRow = {
    id: 7, visitor_id: 3, status: 'open', visitor_name: 'Ann', visitor_email: null, visitor_phone: null,
    visitor_ip: '192.0.2.1', current_url: null, closed_at: null, created_at: at, updated_at: at,
  };
  const message: MessageRow = { id: 11, conversation_id: 7, content: 'hi', is_from_admin: false, admin_name: null, visitor_id: null, client_message_id: null, created_at: at, updated_at: at };

  it('builds message data with every SPEC field, times in ISO UTC', () => {
    const data = messageData(conversation, message);
    expect(messageSchema.strict().parse(data)).toEqual(data);
    expect(data.created_at).toBe('2024-05-06T07:08:09.010Z');
  });

  it('cuts long last messages to an excerpt without splitting characters', () => {
    expect(excerpt('short  and\nsimple')).toBe('short and simple');
    const long = '😀'.repeat(200);
    const cut = excerpt(long, 10);
    expect(Array.from(cut)).toHaveLength(10);
    expect(cut.endsWith('…')).toBe(true);
    expect(conversationSummary(conversation, { ...message, content: 'x'.repeat(500) }).last_message!.content.length).toBeLessThanOrEqual(140);
    expect(conversationSummary(conversation, null).last_message).toBeNull();
  });
});

describe('ack errors', () => {
  it('passes ChatError codes through and hides everything else as internal', () => {
    expect(toAckError(new ChatError('not_found', 'No conversation 3'))).toEqual({ code: 'not_found', message: 'No conversation 3' });
    expect(toAckError(new Error('secret stack detail'))).toEqual({ code: 'internal', message: 'Internal error' });
    expect(toAckError(Object.assign(new Error('x'), { name: 'SequelizeConnectionRefusedError' })).message).toMatch(/database is unavailable/);
  });
});

describe('in-flight work', () => {
  it('runs a socket\'s writes one at a time, in order, and caps the backlog', async () => {
    const queue = new SerialQueue(3);
    const order: string[] = [];
    const task = (name: string, ms: number) => () => new Promise<void>((r) => setTimeout(() => (order.push(name), r()), ms));
    const done = [queue.run(task('slow', 30)), queue.run(task('fast', 1)), queue.run(task('last', 1))];
    await expect(queue.run(task('overflow', 1))).rejects.toMatchObject({ code: 'rate_limited' });
    await Promise.all(done);
    expect(order).toEqual(['slow', 'fast', 'last']);
  });

  it('times out with internal but lets the work finish', async () => {
    let finished = false;
    const work = new Promise<void>((r) => setTimeout(() => ((finished = true), r()), 50));
    await expect(withDeadline(work, 10)).rejects.toMatchObject({ code: 'internal' });
    await work;
    expect(finished).toBe(true);
  });

  it('drains accepted work and then refuses more', async () => {
    const inFlight = new InFlight();
    let finished = false;
    void inFlight.run(() => new Promise<void>((r) => setTimeout(() => ((finished = true), r()), 30)));
    await inFlight.drain();
    expect(finished).toBe(true);
    await expect(inFlight.run(async () => 1)).rejects.toMatchObject({ code: 'internal' });
  });
});
