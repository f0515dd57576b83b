import { createTestDatabase, type TestDatabase } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';

/**
 * Instances deployed at once on a fresh database (replicas, a rolling start) all run the
 * migrations. All must come up: one applies them, the others wait and find them applied.
 * MySQL only: several instances on one database is what MySQL is for (SQLite serves one process).
 */
describe.each(['mysql'] as const)('instances starting together on a fresh database (%s)', (dialect) => {
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
