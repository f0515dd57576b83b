import { gracefulShutdown } from './scenarios/graceful-shutdown.js';

test('SIGTERM under load: in-flight attempts finish or are handed back, nothing stays leased', async () => {
  const figures = await gracefulShutdown();
  console.log(JSON.stringify(figures, null, 2));
  expect(figures.problems).toEqual([]);
  expect(figures.details['left leased at exit']).toBe(0);
  expect(figures.lost).toBe(0);
  // A message stored while shutting down must still be acknowledged: a visitor who never hears
  // back resends it (the widget's outbox does), and the conversation shows it twice.
  expect(figures.details['of which stored anyway']).toBe(0);
});
