import { databaseOutage } from './scenarios/db-outage.js';

test('database unreachable for 12 s: the server stays up, says so, answers with errors, and loses nothing', async () => {
  const figures = await databaseOutage({ outageMs: 12_000, mode: 'refuse' });
  console.log(JSON.stringify(figures, null, 2));
  expect(figures.problems).toEqual([]);
  expect(figures.acknowledged).toBeGreaterThan(50);
  expect(figures.lost).toBe(0);
});

test('database silently partitioned for 10 s (connects hang): same guarantees', async () => {
  const figures = await databaseOutage({ outageMs: 10_000, mode: 'blackhole' });
  console.log(JSON.stringify(figures, null, 2));
  expect(figures.problems).toEqual([]);
  expect(figures.lost).toBe(0);
});
