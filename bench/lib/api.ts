import { BENCH_API_KEY } from './server.js';

export interface WebhookInput {
  name: string;
  url: string;
  events: string[];
  secret?: string;
}

/** Creates a webhook the way an admin would: POST /api/v1/webhooks (SPEC §8). Returns its id. */
export async function createWebhook(baseUrl: string, input: WebhookInput): Promise<number> {
  const res = await fetch(`${baseUrl}/api/v1/webhooks`, {
    method: 'POST',
    headers: { authorization: `Bearer ${BENCH_API_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify(input),
  });
  const text = await res.text();
  if (res.status === 404 && !text.startsWith('{')) throw new Error('the webhooks REST API is not mounted (POST /api/v1/webhooks: 404)');
  if (res.status !== 201) throw new Error(`POST /api/v1/webhooks answered ${res.status}: ${text.slice(0, 200)}`);
  return (JSON.parse(text) as { data: { id: number } }).data.id;
}

export const chatEvents = ['conversation.started', 'message.received', 'message.sent', 'conversation.closed'];
