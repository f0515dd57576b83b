import { createTestDatabase, dialects, type TestDatabase } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';

/**
 * Two instances deployed at once on a fresh database (two replicas, a rolling start) both run
 * the migrations. Both must come up: one applies them, the other waits and finds them applied.
 */
describe.each(dialects)('instances starting together on a fresh database (%s)', (dialect) => {
  let db: TestDatabase;
  const servers: TestServer[] = [];

  beforeAll(async () => {
    db = await createTestDatabase(dialect);
  });

  afterAll(async () => {
    for (const s of servers) await s.stop();
    await db?.drop();
  });

  it('both start', async () => {
    const results = await Promise.allSettled([startTestServer(dialect, {}, db.url), startTestServer(dialect, {}, db.url), startTestServer(dialect, {}, db.url)]);
    for (const r of results) if (r.status === 'fulfilled') servers.push(r.value);
    expect(results.map((r) => (r.status === 'fulfilled' ? 'up' : String((r.reason as Error).message).slice(0, 200)))).toEqual(['up', 'up', 'up']);
  });
});
