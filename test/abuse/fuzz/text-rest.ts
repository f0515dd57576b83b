import { connect } from 'node:net';
import type { FuzzFailure } from './rest.js';
import { asStored, oddEncodings, oddTexts } from './values.js';

/**
 * SPEC §5's text rule against every field of every REST route, as the server's own OpenAPI
 * document lists them (so a route or field added later is covered without editing this file),
 * plus raw headers and the admin sign-in form. Each odd text is appended to a valid value of the
 * field, so the well-formed ones can be accepted and then read back.
 */

export interface TextFuzzResult {
  cases: number;
  byStatus: Record<number, number>;
  /** Accepted values read back through the API and compared. */
  echoed: number;
  failures: FuzzFailure[];
}

export interface RestTextFuzzOptions {
  baseUrl: string;
  apiKey: string;
  /** A URL the server accepts for webhooks (a receiver on 127.0.0.1). */
  receiverUrl: string;
}

type Where = 'path' | 'query' | 'body';
interface Operation {
  method: string;
  path: string;
  fields: { where: Where; name: string }[];
  required: string[];
}

type Json = Record<string, any>;

/** Every operation under /webhooks with its path, query and JSON body fields. */
function operations(doc: Json): Operation[] {
  const resolve = (schema: Json | undefined): Json | undefined =>
    schema?.$ref ? doc.components.schemas[String(schema.$ref).split('/').pop()!] : schema;
  const list: Operation[] = [];
  for (const [path, item] of Object.entries<Json>(doc.paths)) {
    if (!path.startsWith('/webhooks')) continue;
    for (const [method, op] of Object.entries<Json>(item)) {
      if (!['get', 'post', 'put', 'delete', 'patch'].includes(method)) continue;
      const fields: Operation['fields'] = [];
      for (const p of (op.parameters ?? []) as Json[]) {
        const param = resolve(p)!;
        if (param.in === 'path' || param.in === 'query') fields.push({ where: param.in, name: param.name });
      }
      const body = resolve(op.requestBody?.content?.['application/json']?.schema);
      for (const name of Object.keys(body?.properties ?? {})) fields.push({ where: 'body', name });
      list.push({ method: method.toUpperCase(), path, fields, required: (body?.required ?? []) as string[] });
    }
  }
  return list;
}

/** `value` with `odd` appended, in the field's own type where it has one. */
function withOdd(value: unknown, odd: string): unknown {
  if (Array.isArray(value)) return [String(value[0] ?? '') + odd];
  return (value === undefined ? '' : String(value)) + odd;
}

/** A path segment or query value as a UTF-8 client sends it (a lone surrogate goes out as U+FFFD). */
const encode = (text: string) => encodeURIComponent(asStored(text));

/** Sends a raw HTTP/1.1 request (fetch refuses NUL in headers) and answers the status code, 0 when none. */
function rawStatus(port: number, head: Buffer): Promise<number> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(head));
    let data = '';
    socket.setTimeout(10_000, () => socket.destroy());
    socket.on('data', (chunk) => (data += chunk.toString('latin1')));
    socket.on('error', () => {});
    socket.on('close', () => resolve(Number(/^HTTP\/1\.[01] (\d{3})/.exec(data)?.[1] ?? 0)));
  });
}

const leaks = [/secret_encrypted/i, /key_hash/i, /Sequelize\w*Error/, /\bat \S+\.(ts|js):\d+/, /ER_\w+:/, /SQLITE_\w+/];

export async function fuzzRestText(options: RestTextFuzzOptions): Promise<TextFuzzResult> {
  const result: TextFuzzResult = { cases: 0, byStatus: {}, echoed: 0, failures: [] };
  const api = (path: string, init: { method?: string; body?: unknown; rawBody?: string } = {}) =>
    fetch(`${options.baseUrl}/api/v1${path}`, {
      method: init.method ?? 'GET',
      headers: { authorization: `Bearer ${options.apiKey}`, 'content-type': 'application/json' },
      ...(init.rawBody !== undefined ? { body: init.rawBody } : init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
      signal: AbortSignal.timeout(15_000),
    });

  const targetFields = { name: 'fuzz target', url: options.receiverUrl, events: ['message.received'], format: 'json', is_active: true };
  const created = (await (await api('/webhooks', { method: 'POST', body: targetFields })).json()) as { data: { id: number } };
  const id = created.data.id;
  const test = (await (await api(`/webhooks/${id}/test`, { method: 'POST' })).json()) as { data: { delivery_id: string } };
  const base: Record<string, unknown> = {
    id,
    deliveryId: test.data.delivery_id,
    name: 'fuzz',
    url: options.receiverUrl,
    events: ['message.received'],
    secret: 's3cret-value',
    is_active: true,
    format: 'json',
    since: '2020-01-01T00:00:00Z',
    until: '2999-01-01T00:00:00Z',
    old_secret_valid_for_seconds: 0,
    page: 1,
    per_page: 10,
    status: 'failed',
  };
  const doc = (await (await fetch(`${options.baseUrl}/api/v1/openapi.json`)).json()) as Json;

  for (const op of operations(doc)) {
    for (const field of op.fields) {
      const odds = [...oddTexts.map((o) => ({ label: o.label, text: o.value, raw: null as string | null }))];
      if (field.where !== 'body') odds.push(...oddEncodings.map((e) => ({ label: e, text: '', raw: e })));
      for (const odd of odds) {
        const sent = withOdd(base[field.name], odd.text);
        let path = op.path.replace(/\{(\w+)\}/g, (_m, name: string) =>
          name === field.name ? (odd.raw ? encode(String(base[name])) + odd.raw : encode(String(sent))) : encode(String(base[name])),
        );
        if (field.where === 'query') path += `?${field.name}=${odd.raw ? encode(String(base[field.name])) + odd.raw : encode(String(sent))}`;
        let body: Record<string, unknown> | undefined;
        if (op.method !== 'GET' && op.method !== 'DELETE') {
          body = Object.fromEntries(op.required.map((name) => [name, base[name]]));
          if (field.where === 'body') body[field.name] = sent;
        }
        const label = `${op.method} ${op.path} ${field.where}:${field.name} ${odd.label}`;
        const fail = (status: number, reason: string) => result.failures.push({ index: result.cases, request: label, status, reason });
        result.cases++;
        let status = 0;
        let text = '';
        try {
          const res = await api(path, { method: op.method, ...(body ? { body } : {}) });
          status = res.status;
          text = await res.text();
        } catch (err) {
          fail(0, `no answer: ${(err as Error).message}`);
          continue;
        }
        result.byStatus[status] = (result.byStatus[status] ?? 0) + 1;
        if (status >= 500) fail(status, `server error: ${text.slice(0, 200)}`);
        for (const leak of leaks) if (leak.test(text)) fail(status, `response leaks ${leak}: ${text.slice(0, 200)}`);
        const json = (() => {
          try {
            return JSON.parse(text) as Json;
          } catch {
            return null;
          }
        })();

        const hasNul = odd.label === 'NUL' || odd.raw === '%00';
        if (hasNul && field.where !== 'path') {
          const messages = (json?.errors?.[field.name] ?? []) as string[];
          if (status !== 422 || !messages.some((m) => m.includes('U+0000'))) fail(status, `NUL in ${field.name} not refused by name: ${text.slice(0, 200)}`);
        }
        if (hasNul && field.where === 'path' && status < 400) fail(status, 'NUL in a path id was accepted');

        // Well-formed but unusual names and secrets are valid input: they must be taken, and read back as sent.
        const mustAccept = field.where === 'body' && ['name', 'secret'].includes(field.name) && !hasNul && odd.label !== '100 KB';
        const writesWebhook = field.where === 'body' && ((op.method === 'POST' && op.path === '/webhooks') || (op.method === 'PUT' && op.path === '/webhooks/{id}'));
        if (writesWebhook && mustAccept && status >= 300) fail(status, `valid text refused: ${text.slice(0, 200)}`);
        if (writesWebhook && status < 300) {
          const written = op.method === 'POST' ? Number(json?.data?.id) : id;
          const read = (await (await api(`/webhooks/${written}`)).json()) as Json;
          const expected = asStored(String(sent)).trim();
          if (field.name === 'name' || field.name === 'url') {
            result.echoed++;
            if (read.data?.[field.name] !== expected) fail(status, `${field.name} read back as ${JSON.stringify(String(read.data?.[field.name]).slice(0, 60))}`);
          }
          if (field.name === 'secret' && op.method === 'POST') {
            result.echoed++;
            if (json?.data?.secret !== asStored(String(sent))) fail(status, 'secret shown back differently from what was stored');
          }
          if (op.method === 'POST') await api(`/webhooks/${written}`, { method: 'DELETE' });
          else await api(`/webhooks/${id}`, { method: 'PUT', body: targetFields });
        }
        if (op.method === 'DELETE' && status < 300) fail(status, 'an odd id deleted the target webhook');
      }
    }
  }

  // Headers: fetch will not send a NUL, so these go out raw. Node's parser refuses them (400).
  const port = Number(new URL(options.baseUrl).port);
  const heads: [string, Buffer][] = [
    ['Authorization with NUL', Buffer.from(`GET /api/v1/webhooks HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${options.apiKey}\u0000x\r\nConnection: close\r\n\r\n`, 'latin1')],
    ['Authorization with an encoded surrogate', Buffer.concat([Buffer.from('GET /api/v1/webhooks HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer '), Buffer.from([0xed, 0xa0, 0xbd]), Buffer.from('\r\nConnection: close\r\n\r\n')])],
    ['X-Forwarded-For with NUL', Buffer.from(`GET /api/v1/webhooks HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${options.apiKey}\r\nX-Forwarded-For: 1.2.3.4\u0000\r\nConnection: close\r\n\r\n`, 'latin1')],
    ['Cookie with NUL', Buffer.from('GET /admin/webhooks HTTP/1.1\r\nHost: x\r\nCookie: lc_session=\u0000\r\nConnection: close\r\n\r\n', 'latin1')],
  ];
  for (const [label, head] of heads) {
    result.cases++;
    const status = await rawStatus(port, head);
    result.byStatus[status] = (result.byStatus[status] ?? 0) + 1;
    if (status === 0 || status >= 500) result.failures.push({ index: result.cases, request: label, status, reason: `header answered ${status}` });
  }

  // The sign-in form: the API key first, before its failed-attempt limit (20) starts answering 429.
  const formCases: { field: string; label: string; value: string }[] = [];
  for (const field of ['api_key', 'next']) {
    for (const odd of oddTexts) formCases.push({ field, label: odd.label, value: encode((field === 'next' ? '/admin/webhooks' : options.apiKey) + odd.value) });
    for (const raw of oddEncodings) formCases.push({ field, label: raw, value: encode(field === 'next' ? '/admin/webhooks' : options.apiKey) + raw });
  }
  for (const c of formCases) {
    result.cases++;
    const other = c.field === 'next' ? `api_key=wrong-${'k'.repeat(20)}` : 'next=%2Fadmin%2Fwebhooks';
    const res = await fetch(`${options.baseUrl}/admin/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `${c.field}=${c.value}&${other}`,
      redirect: 'manual',
    });
    const text = await res.text();
    result.byStatus[res.status] = (result.byStatus[res.status] ?? 0) + 1;
    const fail = (reason: string) => result.failures.push({ index: result.cases, request: `POST /admin/login ${c.field} ${c.label}`, status: res.status, reason });
    if (res.status >= 500) fail(`server error: ${text.slice(0, 200)}`);
    if (c.field === 'api_key' && (c.label === 'NUL' || c.label === '%00') && (res.status !== 422 || !text.includes('U+0000'))) fail('a NUL in the API key is not refused with a clear error');
    if (c.field === 'api_key' && res.status < 400) fail('an odd API key signed in');
  }
  return result;
}
