import type { ReceivedRequest, Reply, Responder } from '../../support/receiver.js';

/**
 * A Discord Execute Webhook endpoint as it answers (discord.com/developers/docs/resources/webhook,
 * topics/rate-limits, opcodes-and-status-codes): 204 on success with the bucket's X-RateLimit-*
 * headers, 400 with a JSON error code for a bad message, 429 with a JSON `retry_after` in seconds.
 * It enforces its rate limit: `limit` requests per window of `windowMs` per webhook URL.
 * The scenario comes from the URL's query, so one fake serves many webhooks:
 * `?refuse=unknown_webhook|invalid_token`, `?limit=once` (one 429 first).
 */

/** Embed limits Discord enforces with code 50035 (Invalid Form Body). */
const limits = { content: 2000, embeds: 10, title: 256, description: 4096, fields: 25, fieldName: 256, fieldValue: 1024, footer: 2048, author: 256, total: 6000 };

const refusals: Record<string, [number, Record<string, unknown>]> = {
  unknown_webhook: [404, { message: 'Unknown Webhook', code: 10015 }],
  invalid_token: [401, { message: 'Invalid Webhook Token', code: 50027 }],
};

export interface DiscordAnswer {
  event: string;
  status: number;
  code: number | null;
  message: any;
  receivedAt: number;
}

type Json = Record<string, any>;

const len = (v: unknown): number => (typeof v === 'string' ? v.length : 0);

/** The first field Discord would reject in this message, or null when it would post it. */
export function invalidForm(m: Json): string | null {
  if (m.content !== undefined && len(m.content) > limits.content) return 'content: Must be 2000 or fewer in length.';
  if (m.embeds === undefined) return null;
  if (!Array.isArray(m.embeds)) return 'embeds: Must be an array.';
  if (m.embeds.length > limits.embeds) return 'embeds: Must be 10 or fewer in length.';
  let total = 0;
  for (const [i, e] of (m.embeds as Json[]).entries()) {
    if (len(e.title) > limits.title) return `embeds.${i}.title: Must be 256 or fewer in length.`;
    if (len(e.description) > limits.description) return `embeds.${i}.description: Must be 4096 or fewer in length.`;
    if (len(e.footer?.text) > limits.footer) return `embeds.${i}.footer.text: Must be 2048 or fewer in length.`;
    if (len(e.author?.name) > limits.author) return `embeds.${i}.author.name: Must be 256 or fewer in length.`;
    const fields = (e.fields ?? []) as Json[];
    if (!Array.isArray(fields) || fields.length > limits.fields) return `embeds.${i}.fields: Must be 25 or fewer in length.`;
    for (const [j, f] of fields.entries()) {
      if (len(f.name) === 0 || len(f.name) > limits.fieldName) return `embeds.${i}.fields.${j}.name: Must be between 1 and 256 in length.`;
      if (len(f.value) === 0 || len(f.value) > limits.fieldValue) return `embeds.${i}.fields.${j}.value: Must be between 1 and 1024 in length.`;
      total += len(f.name) + len(f.value);
    }
    total += len(e.title) + len(e.description) + len(e.footer?.text) + len(e.author?.name);
  }
  if (total > limits.total) return 'embeds: Embed size exceeds maximum size of 6000';
  return null;
}

/** Discord's answer to a body: null when it would post it, else [status, JSON error]. */
export function judgeDiscord(body: string): [number, Record<string, unknown>] | null {
  let m: Json;
  try {
    m = JSON.parse(body) as Json;
  } catch {
    return [400, { message: 'The request body contains invalid JSON.', code: 50109 }];
  }
  if (m === null || typeof m !== 'object' || Array.isArray(m)) return [400, { message: 'The request body contains invalid JSON.', code: 50109 }];
  const hasContent = typeof m.content === 'string' && m.content.trim() !== '';
  const hasEmbeds = Array.isArray(m.embeds) && m.embeds.length > 0;
  if (!hasContent && !hasEmbeds) return [400, { message: 'Cannot send an empty message', code: 50006 }];
  const invalid = invalidForm(m);
  if (invalid !== null) {
    const [path, reason] = invalid.split(': ');
    return [400, { message: 'Invalid Form Body', code: 50035, errors: { [path!]: { _errors: [{ code: 'BASE_TYPE_MAX_LENGTH', message: reason }] } } }];
  }
  return null;
}

export interface FakeDiscord {
  responder: Responder;
  answers: DiscordAnswer[];
  /** 429s the fake gave because its limit was exceeded (not the scripted `?limit=once`). */
  rateLimited: number;
}

/** `limit` requests per `windowMs` per webhook URL, as Discord's per-webhook bucket (5 per 2 s in production). */
export function fakeDiscord(options: { limit?: number; windowMs?: number } = {}): FakeDiscord {
  const limit = options.limit ?? 5;
  const windowMs = options.windowMs ?? 2000;
  const answers: DiscordAnswer[] = [];
  const buckets = new Map<string, { resetAt: number; used: number }>();
  const scripted = new Set<string>();
  const fake: FakeDiscord = { responder: () => ({}), answers, rateLimited: 0 };

  fake.responder = (req: ReceivedRequest): Reply => {
    const query = new URL(req.path, 'http://x').searchParams;
    const now = Date.now();
    let bucket = buckets.get(req.path);
    if (!bucket || bucket.resetAt <= now) {
      bucket = { resetAt: now + windowMs, used: 0 };
      buckets.set(req.path, bucket);
    }
    const resetAfter = ((bucket.resetAt - now) / 1000).toFixed(3);
    const rateHeaders = (remaining: number) => ({
      'x-ratelimit-limit': String(limit),
      'x-ratelimit-remaining': String(remaining),
      'x-ratelimit-reset': (bucket!.resetAt / 1000).toFixed(3),
      'x-ratelimit-reset-after': resetAfter,
      'x-ratelimit-bucket': 'fake-webhook-bucket',
    });
    const answer = (status: number, json: Record<string, unknown> | null, headers: Record<string, string>): Reply => {
      let message: unknown = null;
      try {
        message = req.json();
      } catch {
        // recorded as null
      }
      const code = typeof json?.code === 'number' ? json.code : null;
      answers.push({ event: String(req.headers['x-webhook-event']), status, code, message, receivedAt: req.receivedAt });
      return json === null
        ? { status, headers }
        : { status, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(json) };
    };

    const refuse = query.get('refuse');
    if (refuse !== null) {
      const [status, json] = refusals[refuse] ?? [400, { message: 'Unknown scenario', code: 0 }];
      return answer(status, json, {});
    }
    if (query.get('limit') === 'once' && !scripted.has(req.path)) {
      scripted.add(req.path);
      // Only the JSON body carries the wait here, so the test shows it is read (Discord's own header is rounded up).
      return answer(429, { message: 'You are being rate limited.', retry_after: 0.3, global: false }, rateHeaders(0));
    }
    if (bucket.used >= limit) {
      fake.rateLimited++;
      const retryAfter = Number(resetAfter);
      return answer(429, { message: 'You are being rate limited.', retry_after: retryAfter, global: false }, { ...rateHeaders(0), 'x-ratelimit-scope': 'user' });
    }
    bucket.used++;
    if (!String(req.headers['content-type']).startsWith('application/json')) {
      return answer(400, { message: 'Cannot send an empty message', code: 50006 }, rateHeaders(limit - bucket.used));
    }
    const refused = judgeDiscord(req.text());
    if (refused) return answer(refused[0], refused[1], rateHeaders(limit - bucket.used));
    return answer(204, null, rateHeaders(limit - bucket.used));
  };
  return fake;
}
