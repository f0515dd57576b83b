import { QueryTypes, type Sequelize } from 'sequelize';
import type { Socket } from 'socket.io-client';
import { connectDatabase } from '../../src/db/connect.js';
import { loadConfig } from '../../src/config.js';
import { migrator } from '../../src/db/migrate.js';
import { coreMigrations } from '../../migrations/index.js';
import { conversationsRepository } from '../../src/chat/store/conversations.js';
import { emailTerms, prefixRange, queryTerms, termsOf } from '../../src/chat/store/search-terms.js';
import { createTestDatabase, dialects, type TestDatabase } from '../support/databases.js';
import { TEST_API_KEY } from '../support/server.js';
import { connectAgent, connectWidget, ok } from './clients.js';
import { startChatHarness, type ChatHarness } from './harness.js';

describe('search terms (pure)', () => {
  it('cuts text into lowercased, accent-free words of 2..64 characters, each once', () => {
    expect(termsOf('José wants a REFUND, refund!! for order #A-1234 🙂')).toEqual(['jose', 'wants', 'refund', 'for', 'order', '1234']);
    expect(termsOf('Straße Ærø 東京タワー')).toEqual(['straße', 'ærø', '東京タワー']);
    expect(termsOf('x'.repeat(65))).toEqual([]);
    expect(termsOf(null)).toEqual([]);
  });

  it('keeps an email whole as well as in parts', () => {
    expect(emailTerms('Ana.Lima@Example.com')).toEqual(['ana.lima@example.com', 'ana', 'lima', 'example', 'com']);
  });

  it('reads a query as up to five word prefixes, keeping an email whole', () => {
    expect(queryTerms('  Refu  ordér ')).toEqual(['refu', 'order']);
    expect(queryTerms('ana@example.com')).toEqual(['ana@example.com']);
    expect(queryTerms('a b c')).toEqual([]);
    expect(queryTerms('one two three four five six seven')).toHaveLength(5);
  });

  it('makes a prefix range that holds exactly the words starting with it', () => {
    const [low, high] = prefixRange('ref');
    const inRange = (w: string) => w >= low && w < high;
    expect(['ref', 'refund', 'ref東京', 'ref\u{1F642}'].every(inRange)).toBe(true);
    expect(['re', 'reg', 'rdf', 'rf'].some(inRange)).toBe(false);
  });
});

describe.each(dialects)('conversation search and visitor history on %s', (dialect) => {
  let h: ChatHarness;
  let agent: Socket;
  const sockets: Socket[] = [];
  const ids: Record<string, number> = {};

  async function chat(name: string, token: string | undefined, details: Record<string, string>, ...messages: string[]): Promise<{ token: string; id: number }> {
    const { socket, session } = await connectWidget(h.url, token ? { token } : {});
    sockets.push(socket);
    const started = await ok(socket, 'conversation:start', details);
    for (const content of messages) await ok(socket, 'message:send', { content });
    ids[name] = started.conversation_id as number;
    return { token: session.visitor_token, id: started.conversation_id as number };
  }

  const search = async (query: string) =>
    ((await ok(agent, 'conversations:search', { query })).conversations as { conversation_id: number }[]).map((c) => c.conversation_id);

  beforeAll(async () => {
    h = await startChatHarness(dialect);
    agent = await connectAgent(h.url, { apiKey: TEST_API_KEY });
    const first = await chat('anaFirst', undefined, { name: 'Ana Lima', email: 'ana@example.com' }, 'My order #4411 never arrived', 'Can I get a refund?');
    await ok(agent, 'conversation:close', { conversation_id: first.id });
    await chat('anaSecond', first.token, {}, 'Hello again, it is about the refund');
    await chat('anaOtherDevice', undefined, { name: 'Ana L.', email: 'ana@example.com' }, 'Writing from my phone');
    await chat('bruno', undefined, { name: 'Bruno Souza', email: 'bruno@example.org' }, 'Where do I change my password?');
    await chat('jose', undefined, { name: 'José' }, 'Olá <img src=x onerror=alert(1)>');
  });
  afterAll(async () => {
    sockets.forEach((s) => s.close());
    agent?.close();
    await h?.stop();
  });

  it('finds conversations by a word of a message, from its start, newest first', async () => {
    expect(await search('refund')).toEqual([ids.anaSecond, ids.anaFirst]);
    expect(await search('REFU')).toEqual([ids.anaSecond, ids.anaFirst]);
    expect(await search('passw')).toEqual([ids.bruno]);
    expect(await search('4411')).toEqual([ids.anaFirst]);
    expect(await search('efund')).toEqual([]);
  });

  it('finds them by visitor name or email, accents ignored, every word required', async () => {
    expect(await search('bruno')).toEqual([ids.bruno]);
    expect(await search('jose')).toEqual([ids.jose]);
    expect(await search('bruno@example.org')).toEqual([ids.bruno]);
    expect(await search('example.org')).toEqual([ids.bruno]);
    expect(await search('ana refund')).toEqual([ids.anaSecond, ids.anaFirst]);
    expect(await search('ana 4411')).toEqual([ids.anaFirst]);
    expect(await search('ana phone')).toEqual([ids.anaOtherDevice]);
    expect(await search('bruno refund')).toEqual([]);
  });

  it('returns summaries the console can list, with text as stored (escaped only when shown)', async () => {
    const ack = await ok(agent, 'conversations:search', { query: 'ola' });
    expect(ack.conversations).toEqual([expect.objectContaining({ conversation_id: ids.jose, visitor_name: 'José', last_message: expect.objectContaining({ content: 'Olá <img src=x onerror=alert(1)>' }) })]);
  });

  it('shows a visitor’s other conversations: same browser, or the same email from another device', async () => {
    const history = async (id: number) =>
      ((await ok(agent, 'visitor:history', { conversation_id: id })).conversations as { conversation_id: number; status: string }[]).map((c) => [c.conversation_id, c.status]);
    expect(await history(ids.anaSecond!)).toEqual([[ids.anaOtherDevice, 'open'], [ids.anaFirst, 'closed']]);
    expect(await history(ids.bruno!)).toEqual([]);
  });
});

describe.each(dialects)('upgrading an existing install on %s', (dialect) => {
  let db: TestDatabase;
  let sequelize: Sequelize;
  beforeAll(async () => {
    db = await createTestDatabase(dialect);
    sequelize = await connectDatabase(loadConfig({ DATABASE_URL: db.url }).DATABASE_URL);
  });
  afterAll(async () => {
    await sequelize?.close();
    await db?.drop();
  });

  it('indexes the conversations and messages already there, and reverts cleanly', async () => {
    const before = coreMigrations.filter((m) => !/^001[01]-/.test(m.name));
    await migrator(sequelize, before).up();
    const qi = sequelize.getQueryInterface();
    const now = new Date();
    await qi.bulkInsert('visitors', [{ token_hash: 'a'.repeat(64), name: 'Old Visitor', created_at: now, updated_at: now }]);
    await qi.bulkInsert('conversations', [{ visitor_id: 1, status: 'closed', visitor_name: 'Old Visitor', visitor_email: 'old@example.net', created_at: now, updated_at: now }]);
    await qi.bulkInsert('messages', [{ conversation_id: 1, content: 'Invoice question from last year', is_from_admin: false, created_at: now, updated_at: now }]);

    const umzug = migrator(sequelize, coreMigrations);
    expect((await umzug.up()).map((m) => m.name)).toEqual(['0010-create-agents', '0011-create-conversation-terms']);
    const conversations = conversationsRepository(sequelize);
    for (const q of ['invoice', 'old@example.net', 'visitor']) expect(await conversations.search(queryTerms(q), 10)).toEqual([1]);
    const [count] = await sequelize.query<{ n: number | string }>('SELECT COUNT(*) AS n FROM conversation_terms', { type: QueryTypes.SELECT });
    expect(Number(count!.n)).toBe(new Set([...termsOf('Old Visitor'), ...emailTerms('old@example.net'), ...termsOf('Invoice question from last year')]).size);

    await umzug.down({ to: '0010-create-agents' });
    const tables = (await qi.showAllTables()).map(String);
    expect(tables).not.toContain('agents');
    expect(tables).not.toContain('conversation_terms');
    expect(tables).toContain('messages');
  });
});
