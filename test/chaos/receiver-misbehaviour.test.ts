import { receiverMisbehaviour } from './scenarios/receiver-misbehaviour.js';

test('misbehaving receivers are classified correctly and cost no memory beyond the caps', async () => {
  const figures = await receiverMisbehaviour();
  console.table(figures.rows);
  console.log(figures.details);
  expect(figures.problems).toEqual([]);
  expect(figures.rows).toHaveLength(10);
});
