/**
 * A minimal webhook receiver: checks the signature on the raw body, answers at once, and handles
 * each delivery once even though retries send it again.
 *
 *   WEBHOOK_SECRET=whsec_… PORT=4000 npx tsx examples/express-receiver.ts
 *
 * In your own project, install this package and import from 'livechat-webhooks/verify' instead.
 */
import { pathToFileURL } from 'node:url';
import express, { type Express } from 'express';
import { verifyWebhookDetailed } from '../src/webhooks/verify.js';

interface Envelope {
  event: string;
  delivery_id: string;
  timestamp: string;
  data: Record<string, unknown>;
}

/** Remembers delivery ids for a day: retries reuse the id, so a second arrival is a duplicate. */
class SeenDeliveries {
  private readonly seen = new Map<string, number>();
  constructor(
    private readonly ttlMs = 24 * 60 * 60 * 1000,
    private readonly max = 100_000,
  ) {}

  /** True the first time an id is offered. */
  firstTime(id: string, now = Date.now()): boolean {
    for (const [key, at] of this.seen) {
      if (now - at <= this.ttlMs && this.seen.size <= this.max) break; // oldest first: stop at the first fresh one
      this.seen.delete(key);
    }
    if (this.seen.has(id)) return false;
    this.seen.set(id, now);
    return true;
  }
}

export function createReceiver(secret: string, onEvent: (envelope: Envelope) => void | Promise<void>): Express {
  const app = express();
  const seen = new SeenDeliveries();

  // express.raw keeps the exact bytes: the signature is over them, not over re-serialised JSON.
  app.post('/webhook', express.raw({ type: 'application/json', limit: '1mb' }), (req, res) => {
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const check = verifyWebhookDetailed(raw, req.headers, secret, { toleranceSeconds: 300 });
    if (!check.ok) {
      res.status(401).json({ error: check.reason });
      return;
    }

    let envelope: Envelope;
    try {
      envelope = JSON.parse(raw.toString('utf8')) as Envelope;
    } catch {
      res.status(400).json({ error: 'invalid_json' });
      return;
    }

    const deliveryId = req.get('X-Webhook-Delivery') ?? envelope.delivery_id;
    if (!seen.firstTime(deliveryId)) {
      res.status(200).json({ duplicate: true });
      return;
    }

    // Answer within the sender's timeout; do slow work after responding.
    res.status(204).end();
    Promise.resolve(onEvent(envelope)).catch((err: unknown) => console.error('webhook handler failed', err));
  });

  return app;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const secret = process.env.WEBHOOK_SECRET;
  if (!secret) {
    console.error('Set WEBHOOK_SECRET to the webhook secret (whsec_…).');
    process.exit(1);
  }
  const port = Number(process.env.PORT ?? 4000);
  createReceiver(secret, (envelope) => {
    console.log(`${envelope.event} ${envelope.delivery_id}`, envelope.data);
  }).listen(port, () => console.log(`Receiving webhooks on http://localhost:${port}/webhook`));
}
