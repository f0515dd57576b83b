import { blackholeResend } from './scenarios/blackhole-resend.js';

/**
 * The case at full size: the server (src/main.ts, default 8 s ack deadline) loses MariaDB
 * to a blackhole for 10 s while a visitor sends 50 messages and resends each under its
 * client_message_id until ok. The fast version runs in the main suite (test/chat/).
 */
test('database blackholed for 10 s, 50 messages resent until ok: each stored once, delivered once per webhook', async () => {
  const figures = await blackholeResend({ cutMs: 10_000, messages: 50, serverAckTimeoutMs: 8_000, server: 'child' });
  console.log(JSON.stringify(figures, null, 2));
  expect(figures.acks.internal).toBeGreaterThan(0);
  expect(figures.neverOk).toBe(0);
  expect(figures.stored).toEqual({ contents: 50, rows: 50, duplicates: 0 });
  for (const webhook of figures.delivered) expect(webhook).toMatchObject({ contents: 50, duplicateDeliveries: 0 });
  expect(figures.wrongAcks).toBe(0);
});
