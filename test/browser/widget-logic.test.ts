// The widget's pure parts, without a browser: options, colour contrast, storage, the outbox.
import { parseOptions, DEFAULT_COLOR, DEFAULT_TITLE } from '../../widget/src/options.js';
import { textColorOn, contrast, luminance } from '../../widget/src/color.js';
import { MAX_ENTRIES, WidgetStore, type Entry, type StorageLike } from '../../widget/src/history.js';
import { Outbox, type OutboxItem } from '../../widget/src/outbox.js';
import type { Ack } from '../../widget/src/protocol.js';
import { newClientId } from '../../widget/src/client-id.js';

describe('parseOptions', () => {
  const src = 'https://chat.example.com/widget.js?v=1';

  it('defaults the server to the script origin and fills title and colour', () => {
    expect(parseOptions({}, src)).toEqual({ server: 'https://chat.example.com', title: DEFAULT_TITLE, color: DEFAULT_COLOR, prechat: true });
  });

  it('reads data-server, data-title, data-color and data-prechat', () => {
    const o = parseOptions({ server: 'https://support.example.org:8443/ignored/path', title: '  Ask   us ', color: '#0f766e', prechat: 'false' }, src);
    expect(o).toEqual({ server: 'https://support.example.org:8443', title: 'Ask us', color: '#0f766e', prechat: false });
  });

  it('resolves a relative data-server against the script and ignores non-http schemes', () => {
    expect(parseOptions({ server: '/' }, src).server).toBe('https://chat.example.com');
    expect(parseOptions({ server: 'javascript:alert(1)' }, src).server).toBe('https://chat.example.com');
    expect(parseOptions({ server: 'not a url' }, null).server).toBe('');
  });

  it('caps an overlong title', () => {
    expect(parseOptions({ title: 'x'.repeat(500) }, src).title).toHaveLength(80);
  });
});

describe('textColorOn', () => {
  it('puts white on dark accents and dark text on light ones', () => {
    expect(textColorOn('rgb(37, 99, 235)')).toBe('#ffffff');
    expect(textColorOn('rgb(15, 118, 110)')).toBe('#ffffff');
    expect(textColorOn('rgb(250, 204, 21)')).toBe('#111827');
    expect(textColorOn('rgba(255, 255, 255, 1)')).toBe('#111827');
    expect(textColorOn('garbage')).toBe('#ffffff');
  });

  it('computes WCAG contrast (black on white is 21:1)', () => {
    expect(contrast(luminance(0, 0, 0), luminance(255, 255, 255))).toBeCloseTo(21, 5);
  });
});

class MapStorage implements StorageLike {
  readonly map = new Map<string, string>();
  failWrites = false;
  getItem(key: string) {
    return this.map.get(key) ?? null;
  }
  setItem(key: string, value: string) {
    if (this.failWrites) throw new Error('QuotaExceededError');
    this.map.set(key, value);
  }
  removeItem(key: string) {
    this.map.delete(key);
  }
}

describe('WidgetStore', () => {
  it('keeps token and state under keys naming the server', () => {
    const storage = new MapStorage();
    const a = new WidgetStore(storage, 'https://a.example');
    const b = new WidgetStore(storage, 'https://b.example');
    a.token = 'token-a';
    expect(b.token).toBeNull();
    expect(storage.getItem('livechat:https://a.example:token')).toBe('token-a');
    a.save({ conversationId: 7, introduced: true, entries: [{ key: 'm:1', kind: 'agent', content: 'hi' }], outbox: [] });
    expect(new WidgetStore(storage, 'https://a.example').load()).toEqual({ conversationId: 7, introduced: true, entries: [{ key: 'm:1', kind: 'agent', content: 'hi' }], outbox: [] });
  });

  it('trims history to MAX_ENTRIES but never drops an unsent message', () => {
    const storage = new MapStorage();
    const store = new WidgetStore(storage, 's');
    const entries: Entry[] = Array.from({ length: MAX_ENTRIES + 50 }, (_, i) => ({ key: `m:${i}`, kind: 'agent', content: String(i) }));
    entries[3] = { key: 'l:unsent', kind: 'visitor', content: 'still queued', status: 'pending' };
    store.save({ conversationId: 1, introduced: true, entries, outbox: [{ id: 'unsent', event: 'message:send', payload: { content: 'still queued' } }] });
    const loaded = new WidgetStore(storage, 's').load();
    expect(loaded.entries).toHaveLength(MAX_ENTRIES + 1);
    expect(loaded.entries[0]!.key).toBe('l:unsent');
    expect(loaded.entries.at(-1)!.key).toBe(`m:${MAX_ENTRIES + 49}`);
  });

  it('survives corrupt JSON, foreign shapes, full and missing storage', () => {
    const storage = new MapStorage();
    storage.setItem('livechat:s:state', '{not json');
    expect(new WidgetStore(storage, 's').load().entries).toEqual([]);
    storage.setItem('livechat:s:state', JSON.stringify({ conversationId: 'x', entries: [{ key: 1 }, null, { key: 'n:1', kind: 'note', content: 'ok' }], outbox: [{ id: 'a', event: 'evil' }] }));
    expect(new WidgetStore(storage, 's').load()).toEqual({ conversationId: null, introduced: false, entries: [{ key: 'n:1', kind: 'note', content: 'ok' }], outbox: [] });

    storage.failWrites = true;
    const full = new WidgetStore(storage, 'full');
    full.token = 'kept-in-memory';
    expect(full.token).toBe('kept-in-memory');

    const none = new WidgetStore(null, 'none');
    none.token = 'memory-only';
    expect(none.token).toBe('memory-only');
  });
});

describe('Outbox', () => {
  type Reply = Ack<Record<string, unknown>>;
  const item = (id: string): OutboxItem => ({ id, event: 'message:send', payload: { content: id } });

  /** A sender whose acks the test releases by hand, recording the order of emits. */
  function manualSender() {
    const emitted: string[] = [];
    const waiting: { id: string; resolve(a: Reply): void; reject(e: Error): void }[] = [];
    const send = (i: OutboxItem) =>
      new Promise<Reply>((resolve, reject) => {
        emitted.push(i.id);
        waiting.push({ id: i.id, resolve, reject });
      });
    return { emitted, waiting, send };
  }
  const tick = () => new Promise((r) => setImmediate(r));

  it('holds items while offline and sends them in order, one ack at a time, once online', async () => {
    const s = manualSender();
    const settled: string[] = [];
    const persisted: string[][] = [];
    const box = new Outbox(s.send, { settled: (i) => settled.push(i.id), changed: (items) => persisted.push(items.map((i) => i.id)) });
    void box.enqueue(item('a'));
    void box.enqueue(item('b'));
    void box.enqueue(item('c'));
    await tick();
    expect(s.emitted).toEqual([]);
    expect(persisted.at(-1)).toEqual(['a', 'b', 'c']);

    const done = box.setOnline(true);
    await tick();
    expect(s.emitted).toEqual(['a']); // b waits for a's ack
    s.waiting.shift()!.resolve({ ok: true });
    await tick();
    expect(s.emitted).toEqual(['a', 'b']);
    s.waiting.shift()!.resolve({ ok: false, error: { code: 'rate_limited', message: 'slow down' } });
    await tick();
    s.waiting.shift()!.resolve({ ok: true });
    await done;
    expect(settled).toEqual(['a', 'b', 'c']);
    expect(box.items).toEqual([]);
    expect(persisted.at(-1)).toEqual([]);
  });

  it('keeps an unacknowledged item at the head and resends it first after reconnecting', async () => {
    const s = manualSender();
    const settled: string[] = [];
    const box = new Outbox(s.send, { settled: (i) => settled.push(i.id), changed: () => {} }, [item('restored')]);
    const first = box.setOnline(true);
    await tick();
    void box.enqueue(item('later'));
    void box.setOnline(false);
    s.waiting.shift()!.reject(new Error('socket has been disconnected'));
    await first;
    expect(box.items.map((i) => i.id)).toEqual(['restored', 'later']);

    const second = box.setOnline(true);
    await tick();
    s.waiting.shift()!.resolve({ ok: true });
    await tick();
    s.waiting.shift()!.resolve({ ok: true });
    await second;
    expect(s.emitted).toEqual(['restored', 'restored', 'later']);
    expect(settled).toEqual(['restored', 'later']);
  });

  it('sends an unanswered or internal item again, same payload, with backoff, until the server answers', async () => {
    const s = manualSender();
    const settled: [string, unknown][] = [];
    const waits: number[] = [];
    const box = new Outbox(s.send, { settled: (i, ack) => settled.push([i.id, ack]), changed: () => {} }, [], {
      backoff: (attempt) => (waits.push(attempt), 0),
    });
    // The backoff is 0 ms, a timer: wait for each emit rather than counting ticks.
    const emits = async (n: number) => {
      while (s.emitted.length < n) await new Promise((r) => setTimeout(r, 1));
    };
    await box.setOnline(true);
    const done = box.enqueue({ id: 'm1', event: 'message:send', payload: { content: 'hi', client_message_id: 'm1' } });
    void box.enqueue(item('next'));
    await emits(1);
    s.waiting.shift()!.reject(new Error('operation has timed out'));
    await emits(2);
    s.waiting.shift()!.resolve({ ok: false, error: { code: 'internal', message: 'took too long' } });
    await emits(3);
    s.waiting.shift()!.resolve({ ok: true, message_id: 7 });
    await emits(4);
    s.waiting.shift()!.resolve({ ok: true, message_id: 8 });
    await done;
    expect(s.emitted).toEqual(['m1', 'm1', 'm1', 'next']);
    expect(waits).toEqual([1, 2]);
    expect(settled).toEqual([['m1', { ok: true, message_id: 7 }], ['next', { ok: true, message_id: 8 }]]);
  });

  it('gives up on one item after maxAttempts unknown outcomes and reports it, then goes on', async () => {
    let calls = 0;
    const settled: [string, unknown][] = [];
    const box = new Outbox(
      async (i) => (calls++, i.id === 'stuck' ? { ok: false, error: { code: 'internal', message: 'database down' } } : { ok: true }),
      { settled: (i, ack) => settled.push([i.id, ack]), changed: () => {} },
      [item('stuck'), item('after')],
      { maxAttempts: 3, backoff: () => 0 },
    );
    await box.setOnline(true);
    expect(calls).toBe(4);
    expect(settled).toEqual([['stuck', { ok: false, error: { code: 'internal', message: 'database down' } }], ['after', { ok: true }]]);
  });

  it('cuts a backoff short when the connection comes back', async () => {
    const s = manualSender();
    const box = new Outbox(s.send, { settled: () => {}, changed: () => {} }, [item('a')], { maxAttempts: 2, backoff: () => 60_000 });
    void box.setOnline(true);
    await tick();
    s.waiting.shift()!.resolve({ ok: false, error: { code: 'internal', message: 'x' } }); // now waiting a minute
    await tick();
    const again = box.setOnline(true); // a fresh connection: try now
    await tick();
    expect(s.emitted).toEqual(['a', 'a']);
    s.waiting.shift()!.resolve({ ok: true });
    await again;
    expect(box.items).toEqual([]);
  });

  it('sends an item queued just as the previous drain finished', async () => {
    const sent: string[] = [];
    const box = new Outbox(async (i) => (sent.push(i.id), { ok: true }), { settled: () => {}, changed: () => {} });
    await box.setOnline(true);
    const a = box.enqueue(item('a'));
    const b = box.enqueue(item('b'));
    await Promise.all([a, b]);
    await box.flush();
    expect(sent).toEqual(['a', 'b']);
  });
});

describe('newClientId', () => {
  it('uses randomUUID, else 128 random bits, else time and Math.random; always 1..64 characters and unique', () => {
    const uuid = newClientId();
    expect(uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const insecure = { getRandomValues: <T extends ArrayBufferView | null>(a: T) => globalThis.crypto.getRandomValues(a as Uint8Array) as unknown as T };
    const fromBits = new Set(Array.from({ length: 100 }, () => newClientId(insecure)));
    expect(fromBits.size).toBe(100);
    for (const id of fromBits) expect(id).toMatch(/^[0-9a-f]{32}$/);
    const fallback = new Set(Array.from({ length: 100 }, () => newClientId(null)));
    expect(fallback.size).toBe(100);
    for (const id of fallback) expect(id).toMatch(/^[0-9a-z]{10,64}$/);
  });
});
