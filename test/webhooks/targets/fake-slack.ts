import type { ReceivedRequest, Reply, Responder } from '../../support/receiver.js';

/**
 * A Slack incoming webhook as it answers (api.slack.com/messaging/webhooks#handling_errors): 200 `ok`
 * as text/html on success, otherwise a status with a bare error token as the body.
 * The scenario comes from the URL's query, so one fake serves many webhooks:
 * `?refuse=channel_not_found|channel_is_archived|action_prohibited`, `?limit=once` (one 429 first),
 * and `down = true` on the fake answers every request 500 (an outage) until set back.
 */

/** Block Kit limits Slack enforces with `invalid_blocks`. */
const limits = { blocks: 50, header: 150, sectionText: 3000, fields: 10, fieldText: 2000, contextElements: 10, buttonText: 75, buttonUrl: 3000 };

const refusals: Record<string, number> = { channel_not_found: 404, channel_is_archived: 410, action_prohibited: 403 };

/** What the fake answered one request, for assertions. */
export interface SlackAnswer {
  event: string;
  status: number;
  error: string | null;
  message: any;
}

type Json = Record<string, any>;

const isText = (t: unknown, max: number): boolean => {
  const v = t as Json | undefined;
  return typeof v?.text === 'string' && v.text.length > 0 && v.text.length <= max && (v.type === 'plain_text' || v.type === 'mrkdwn');
};

/** Why Slack would refuse these blocks, or null when they are valid. */
export function invalidBlocks(blocks: unknown): string | null {
  if (!Array.isArray(blocks)) return 'blocks is not an array';
  if (blocks.length > limits.blocks) return `${blocks.length} blocks (max ${limits.blocks})`;
  for (const [i, b] of (blocks as Json[]).entries()) {
    switch (b?.type) {
      case 'header':
        if (!isText(b.text, limits.header) || b.text.type !== 'plain_text') return `blocks[${i}] header text`;
        break;
      case 'section':
        if (b.text === undefined && b.fields === undefined) return `blocks[${i}] section without text or fields`;
        if (b.text !== undefined && !isText(b.text, limits.sectionText)) return `blocks[${i}] section text`;
        if (b.fields !== undefined) {
          if (!Array.isArray(b.fields) || b.fields.length > limits.fields) return `blocks[${i}] fields`;
          if (!b.fields.every((f: unknown) => isText(f, limits.fieldText))) return `blocks[${i}] field text`;
        }
        break;
      case 'context':
        if (!Array.isArray(b.elements) || b.elements.length === 0 || b.elements.length > limits.contextElements) return `blocks[${i}] context elements`;
        if (!b.elements.every((e: unknown) => isText(e, 3000))) return `blocks[${i}] context text`;
        break;
      case 'actions':
        if (!Array.isArray(b.elements) || b.elements.length === 0) return `blocks[${i}] actions`;
        for (const e of b.elements as Json[]) {
          if (e.type !== 'button' || !isText(e.text, limits.buttonText) || (e.url !== undefined && String(e.url).length > limits.buttonUrl)) {
            return `blocks[${i}] button`;
          }
        }
        break;
      default:
        return `blocks[${i}] unknown type ${String(b?.type)}`;
    }
  }
  return null;
}

/** Slack's answer to a message body: null when it would post it, else [status, error token]. */
export function judgeSlack(body: string): [number, string] | null {
  let message: unknown;
  try {
    message = JSON.parse(body);
  } catch {
    return [400, 'invalid_payload'];
  }
  const m = message as Json | null;
  if (m === null || typeof m !== 'object' || Array.isArray(m)) return [400, 'invalid_payload'];
  const hasText = typeof m.text === 'string' && m.text.trim() !== '';
  const hasBlocks = Array.isArray(m.blocks) && m.blocks.length > 0;
  if (!hasText && !hasBlocks) return [400, 'invalid_payload'];
  if (m.blocks !== undefined && invalidBlocks(m.blocks) !== null) return [400, 'invalid_blocks'];
  return null;
}

export interface FakeSlack {
  responder: Responder;
  answers: SlackAnswer[];
  /** While true, every request gets 500 `internal_error`, as during a Slack outage. */
  down: boolean;
}

export function fakeSlack(): FakeSlack {
  const answers: SlackAnswer[] = [];
  const limited = new Set<string>();
  const fake: FakeSlack = { responder: () => ({}), answers, down: false };
  fake.responder = (req: ReceivedRequest): Reply => {
    const query = new URL(req.path, 'http://x').searchParams;
    const answer = (status: number, error: string | null, headers: Record<string, string> = {}): Reply => {
      let message: unknown = null;
      try {
        message = req.json();
      } catch {
        // recorded as null
      }
      answers.push({ event: String(req.headers['x-webhook-event']), status, error, message });
      return { status, headers: { 'content-type': 'text/html', ...headers }, body: error ?? 'ok' };
    };
    if (req.method !== 'POST' || !String(req.headers['content-type']).startsWith('application/json')) return answer(400, 'invalid_payload');
    const refuse = query.get('refuse');
    if (refuse !== null) return answer(refusals[refuse] ?? 400, refuse);
    if (fake.down) return answer(500, 'internal_error');
    if (query.get('limit') === 'once' && !limited.has(req.path)) {
      limited.add(req.path);
      return answer(429, 'rate_limited', { 'retry-after': '1' });
    }
    const refused = judgeSlack(req.text());
    return refused ? answer(refused[0], refused[1]) : answer(200, null);
  };
  return fake;
}
