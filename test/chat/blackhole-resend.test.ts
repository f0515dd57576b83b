import { blackholeResend } from '../chaos/scenarios/blackhole-resend.js';

/**
 * SPEC §3 "Resending is safe", from outside: a real server whose MariaDB is blackholed for a few
 * seconds, a real Socket.IO visitor resending each message under its client_message_id until ok,
 * two real webhook receivers. The long version (10 s, 50 messages, child server) is in test/chaos.
 */
test('database blackholed while a visitor sends: every message stored once and delivered once per webhook, whatever the acks said', async () => {
  const figures = await blackholeResend({ cutMs: 3_000, messages: 12, serverAckTimeoutMs: 1_000 });
  console.log(JSON.stringify(figures));
  // The cut was felt: some tries were answered "internal".
  expect(figures.acks.internal).toBeGreaterThan(0);
  expect(figures.neverOk).toBe(0);
  expect(figures.stored).toEqual({ contents: 12, rows: 12, duplicates: 0 });
  for (const webhook of figures.delivered) expect(webhook).toMatchObject({ contents: 12, duplicateDeliveries: 0 });
  expect(figures.wrongAcks).toBe(0);
}, 90_000);
