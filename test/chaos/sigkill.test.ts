import { sigkillUnderLoad } from './scenarios/sigkill.js';

test('SIGKILL under load: every acknowledged message is delivered at least once', async () => {
  const figures = await sigkillUnderLoad({ kills: 3, visitors: 12 });
  console.log(JSON.stringify(figures, null, 2));
  expect(figures.problems).toEqual([]);
  expect(figures.acknowledged).toBeGreaterThan(100);
  expect(figures.lost).toBe(0);
});
