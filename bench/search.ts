// Conversation search on 100,000 messages, on MariaDB and SQLite: seeds a database through the
// same tokenizer the chat uses, then times the console's search (searchConversations: term lookup,
// the conversations and their latest messages) for a few kinds of query.
//
//   npx tsx bench/search.ts                       # both dialects, 100,000 messages
//   npx tsx bench/search.ts --messages=20000 --only=sqlite
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Sequelize } from 'sequelize';
import { coreMigrations } from '../migrations/index.js';
import { searchConversations } from '../src/chat/actions/agent-actions.js';
import { createChatContext } from '../src/chat/actions/context.js';
import { WidgetRateLimits } from '../src/chat/rate-limits.js';
import { emailTerms, termsOf } from '../src/chat/store/search-terms.js';
import { loadConfig } from '../src/config.js';
import { connectDatabase } from '../src/db/connect.js';
import { migrateUp } from '../src/db/migrate.js';
import { HookBus } from '../src/hooks.js';
import { createBenchDatabase } from './lib/database.js';

const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
const MESSAGES = Number(arg('messages') ?? 100_000);
const PER_CONVERSATION = 10;
const RUNS = 15;

/** A deterministic pseudo-random source, so both dialects get the same text. */
function random(seed: number) {
  return () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
}

/** ~3,000 made-up words, drawn with a Zipf-like skew (a few very common, most rare), like real chat. */
function vocabulary(rand: () => number): () => string {
  const syllables = ['ka', 'lo', 'mi', 'ne', 'ru', 'sa', 'ti', 'vo', 'de', 'pa', 'qui', 'ber', 'ton', 'gel', 'fra', 'zu'];
  const words = Array.from({ length: 3000 }, () => Array.from({ length: 2 + Math.floor(rand() * 3) }, () => syllables[Math.floor(rand() * syllables.length)]).join(''));
  words.splice(0, 6, 'order', 'refund', 'hello', 'thanks', 'password', 'invoice');
  return () => words[Math.min(words.length - 1, Math.floor(Math.pow(rand(), 3) * words.length))]!;
}

async function seed(sequelize: Sequelize): Promise<void> {
  const rand = random(42);
  const word = vocabulary(rand);
  const qi = sequelize.getQueryInterface();
  const conversations = Math.ceil(MESSAGES / PER_CONVERSATION);
  const now = Date.now();
  const BATCH = 500;
  for (let start = 1; start <= conversations; start += BATCH) {
    const visitors = [], convs = [], messages = [], terms: { term: string; conversation_id: number }[] = [];
    for (let id = start; id < Math.min(start + BATCH, conversations + 1); id++) {
      const at = new Date(now - (conversations - id) * 60_000);
      const name = `Visitor${id} ${word()}`;
      const email = `visitor${id}@example${id % 50}.com`;
      visitors.push({ id, token_hash: id.toString(16).padStart(64, '0'), name, email, created_at: at, updated_at: at });
      convs.push({ id, visitor_id: id, status: id % 3 ? 'closed' : 'open', visitor_name: name, visitor_email: email, created_at: at, updated_at: at });
      const own = new Set([...termsOf(name), ...emailTerms(email)]);
      for (let m = 0; m < PER_CONVERSATION; m++) {
        const content = Array.from({ length: 4 + Math.floor(rand() * 14) }, word).join(' ') + (rand() < 0.01 ? ` ticket ${id}x${m}` : '');
        messages.push({ conversation_id: id, content, is_from_admin: m % 2 === 1, admin_name: m % 2 ? 'Ana' : null, created_at: at, updated_at: at });
        for (const t of termsOf(content)) own.add(t);
      }
      for (const term of own) terms.push({ term, conversation_id: id });
    }
    await qi.bulkInsert('visitors', visitors);
    await qi.bulkInsert('conversations', convs);
    await qi.bulkInsert('messages', messages);
    for (let i = 0; i < terms.length; i += 5000) await qi.bulkInsert('conversation_terms', terms.slice(i, i + 5000));
  }
}

const queries: [string, string][] = [
  ['common word ("order")', 'order'],
  ['rare word', 'ticket'],
  ['two words ("refund order")', 'refund order'],
  ['short prefix ("pa")', 'pa'],
  ['visitor name prefix', 'visitor123'],
  ['exact email', 'visitor4321@example21.com'],
  ['no match', 'zzzzzz'],
];

async function measure(dialect: 'mysql' | 'sqlite'): Promise<string[]> {
  let url: string;
  let drop: () => Promise<void>;
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'lc-search-'));
    url = `sqlite:${join(dir, 'bench.sqlite')}`;
    drop = async () => rmSync(dir, { recursive: true, force: true });
  } else {
    const db = await createBenchDatabase();
    url = db.url;
    drop = db.drop;
  }
  const sequelize = await connectDatabase(loadConfig({ DATABASE_URL: url }).DATABASE_URL);
  try {
    await migrateUp(sequelize, coreMigrations);
    const seeded = Date.now();
    await seed(sequelize);
    const seedSeconds = (Date.now() - seeded) / 1000;
    const [row] = (await sequelize.query('SELECT COUNT(*) AS n FROM conversation_terms'))[0] as { n: number }[];
    const ctx = createChatContext({ sequelize, hooks: new HookBus(), limits: new WidgetRateLimits({ messagesPerMinute: 1, conversationsPerHour: 1 }) });
    const lines = [`${dialect}: ${MESSAGES} messages, ${Math.ceil(MESSAGES / PER_CONVERSATION)} conversations, ${Number(row!.n)} term rows, seeded in ${seedSeconds.toFixed(1)} s`];
    for (const [label, query] of queries) {
      await searchConversations(ctx, query);
      const times: number[] = [];
      let found = 0;
      for (let i = 0; i < RUNS; i++) {
        const t0 = performance.now();
        found = (await searchConversations(ctx, query)).length;
        times.push(performance.now() - t0);
      }
      times.sort((a, b) => a - b);
      lines.push(`  ${label.padEnd(30)} median ${times[Math.floor(RUNS / 2)]!.toFixed(1).padStart(7)} ms   max ${times[RUNS - 1]!.toFixed(1).padStart(7)} ms   ${found} shown`);
    }
    return lines;
  } finally {
    await sequelize.close();
    await drop();
  }
}

const only = arg('only');
console.log(`search benchmark, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}`);
for (const dialect of ['sqlite', 'mysql'] as const) {
  if (only && only !== dialect) continue;
  for (const line of await measure(dialect)) console.log(line);
}
