import { anyValue, hostileBody, hostileIds, mutateObject, pick, prng, type JsonText } from './values.js';

export interface FuzzFailure {
  index: number;
  request: string;
  status: number;
  reason: string;
}

export interface FuzzResult {
  cases: number;
  /** Requests the server refused (4xx). */
  refused: number;
  byStatus: Record<number, number>;
  failures: FuzzFailure[];
}

/** Failures grouped by the start of their reason, with a count and the first example: a readable assertion diff. */
export function summarize(failures: readonly FuzzFailure[]): Record<string, { count: number; example: string }> {
  const groups: Record<string, { count: number; example: string }> = {};
  for (const f of failures) {
    const key = f.reason.replace(/[:(].*$/s, '').trim();
    groups[key] ??= { count: 0, example: `#${f.index} [${f.status}] ${f.request.slice(0, 200)} => ${f.reason.slice(0, 300)}` };
    groups[key].count++;
  }
  return groups;
}

export interface RestFuzzOptions {
  baseUrl: string;
  apiKey: string;
  seed: number;
  cases: number;
  /** A fingerprint of everything the API can change; must not move when a request is refused. */
  snapshot(): Promise<string>;
  /** A URL the server accepts for webhooks (a receiver on 127.0.0.1). */
  receiverUrl: string;
}

interface FuzzRequest {
  method: string;
  path: string;
  body?: { text: string; contentType: string };
}

const json = (text: JsonText) => ({ text, contentType: 'application/json' });

/** One hostile request against the SPEC §8 routes. `id` is a webhook that exists. */
function generate(rand: () => number, id: number, receiverUrl: string): FuzzRequest {
  const validWebhook: Record<string, JsonText> = {
    name: '"fuzz"',
    url: JSON.stringify(receiverUrl),
    events: '["message.received"]',
    secret: '"s3cret-value"',
    is_active: 'true',
    format: '"json"',
  };
  const queryValue = () =>
    encodeURIComponent(pick(rand, ['0', '-1', '1.5', '1e9', 'abc', '', "1' OR 1=1", '%', '\u0000', 'x'.repeat(3000), 'delivered', 'PENDING', '[]', 'null']));
  switch (Math.floor(rand() * 9)) {
    case 0:
    case 1:
      return { method: 'POST', path: '/webhooks', body: json(mutateObject(rand, validWebhook)) };
    case 2:
      return { method: 'POST', path: '/webhooks', body: hostileBody(rand) };
    case 3:
      return { method: 'PUT', path: `/webhooks/${id}`, body: rand() < 0.7 ? json(mutateObject(rand, validWebhook)) : hostileBody(rand) };
    case 4: {
      const hostile = pick(rand, hostileIds);
      const tail = pick(rand, ['', '/test', '/deliveries', '/regenerate-secret', '/recover', `/deliveries/${hostile}`, '/deliveries/x/redeliver']);
      return { method: pick(rand, ['GET', 'PUT', 'DELETE', 'POST', 'PATCH']), path: `/webhooks/${hostile}${tail}`, body: json(anyValue(rand)) };
    }
    case 5: {
      const params = [`page=${queryValue()}`, `per_page=${queryValue()}`, `status=${queryValue()}`, 'page[]=1&page[]=2', 'status[$ne]=x', '__proto__[x]=1'];
      const query = params.filter(() => rand() < 0.5).join('&');
      return { method: 'GET', path: `/webhooks/${id}/deliveries?${query}` };
    }
    case 6:
      return {
        method: 'POST',
        path: `/webhooks/${id}/recover`,
        body: json(mutateObject(rand, { since: '"2020-01-01T00:00:00Z"', until: '"2999-01-01T00:00:00Z"' })),
      };
    case 7: {
      const hostile = pick(rand, hostileIds);
      return { method: pick(rand, ['GET', 'POST']), path: `/webhooks/${id}/deliveries/${hostile}${rand() < 0.5 ? '/redeliver' : ''}` };
    }
    default:
      return { method: pick(rand, ['GET', 'POST', 'PUT', 'DELETE']), path: pick(rand, ['/webhooks/', '/webhooks//1', '/webhooks/events/x', '/webhooks?x[y][z]=1', '/webhooks/%2F..%2Fapi_keys']), body: hostileBody(rand) };
  }
}

const leaks = [/secret_encrypted/i, /key_hash/i, /Sequelize\w*Error/, /\bat \S+\.(ts|js):\d+/, /ER_\w+:/, /SQLITE_\w+/];

/**
 * Table-driven fuzz of the REST API: `cases` seeded hostile requests, each checked for: no 5xx,
 * the error envelope of SPEC §8 on refusal, nothing internal leaked, and the database unchanged
 * by every refused request.
 */
export async function fuzzRest(options: RestFuzzOptions): Promise<FuzzResult> {
  const rand = prng(options.seed);
  const result: FuzzResult = { cases: 0, refused: 0, byStatus: {}, failures: [] };
  const create = await fetch(`${options.baseUrl}/api/v1/webhooks`, {
    method: 'POST',
    headers: { authorization: `Bearer ${options.apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'fuzz target', url: options.receiverUrl, events: ['message.received'] }),
  });
  const created = (await create.json()) as { data?: { id?: number } };
  let id = Number(created.data?.id);
  if (create.status !== 201 || !id) throw new Error(`could not create the fuzz target webhook: ${create.status}`);

  let before = await options.snapshot();
  for (let index = 0; index < options.cases; index++) {
    const request = generate(rand, id, options.receiverUrl);
    const label = `${request.method} ${request.path.slice(0, 120)} ${request.body?.text.slice(0, 120) ?? ''}`;
    const fail = (status: number, reason: string) => result.failures.push({ index, request: label, status, reason });
    let status = 0;
    let text = '';
    try {
      const res = await fetch(`${options.baseUrl}/api/v1${request.path}`, {
        method: request.method,
        headers: {
          authorization: `Bearer ${options.apiKey}`,
          ...(request.body ? { 'content-type': request.body.contentType } : {}),
        },
        body: request.body && request.method !== 'GET' ? request.body.text : undefined,
        signal: AbortSignal.timeout(10_000),
      });
      status = res.status;
      text = await res.text();
    } catch (err) {
      fail(0, `no answer: ${(err as Error).message}`);
      continue;
    }
    result.cases++;
    result.byStatus[status] = (result.byStatus[status] ?? 0) + 1;
    if (status >= 500) fail(status, `server error: ${text.slice(0, 200)}`);
    for (const leak of leaks) if (leak.test(text)) fail(status, `response leaks ${leak}: ${text.slice(0, 200)}`);
    if (status >= 400) {
      result.refused++;
      // fetch resolves `..` before sending, so some paths land outside /api/v1/webhooks, on express's own 404 page.
      const inApi = new URL(`${options.baseUrl}/api/v1${request.path}`).pathname.startsWith('/api/v1/webhooks');
      let body: { success?: unknown; message?: unknown; errors?: unknown } | null = null;
      try {
        body = JSON.parse(text);
      } catch {
        if (inApi) fail(status, `refusal is not JSON: ${text.slice(0, 100)}`);
      }
      if (body && (body.success !== false || typeof body.message !== 'string')) fail(status, `refusal is not the error envelope: ${text.slice(0, 200)}`);
      if (body && status === 422 && (typeof body.errors !== 'object' || body.errors === null)) fail(status, '422 without field errors');
      const after = await options.snapshot();
      if (after !== before) fail(status, 'a refused request changed the database');
      before = after;
    } else {
      before = await options.snapshot();
      // A successful DELETE (of the target, by whatever spelling of its id) leaves later cases without one.
      if (request.method === 'DELETE' && status === 204) {
        const again = await fetch(`${options.baseUrl}/api/v1/webhooks`, {
          method: 'POST',
          headers: { authorization: `Bearer ${options.apiKey}`, 'content-type': 'application/json' },
          body: JSON.stringify({ name: 'fuzz target', url: options.receiverUrl, events: ['message.received'] }),
        });
        id = Number(((await again.json()) as { data: { id: number } }).data.id);
        before = await options.snapshot();
      }
    }
  }
  return result;
}
