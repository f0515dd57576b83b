import { redisOutage } from './scenarios/redis-outage.js';

test('Redis killed and restarted mid-chat: the chat keeps answering, nothing acknowledged is lost, one warning line', async () => {
  const figures = await redisOutage();
  console.log(JSON.stringify(figures, null, 2));
  expect(figures.problems).toEqual([]);
  expect(figures.lost).toBe(0);
  expect(figures.details['warning lines per instance']).toBe('1/1');
});
