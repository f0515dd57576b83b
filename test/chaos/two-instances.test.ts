import { twoInstances } from './scenarios/two-instances.js';

test('two instances on one database: each due attempt is sent once, even when one dies mid-sweep', async () => {
  const figures = await twoInstances();
  console.log(JSON.stringify(figures, null, 2));
  expect(figures.problems).toEqual([]);
  expect(figures.details['due attempts sent twice']).toBe(0);
  expect(figures.lost).toBe(0);
});
