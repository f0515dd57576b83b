import { spawn } from 'node:child_process';
import { startTestServer, type TestServer } from '../../support/server.js';
import { apiClient } from './helpers.js';

/** Every route SPEC §8 names (relative to /api/v1). */
const SPEC_ROUTES = [
  'GET /webhooks',
  'POST /webhooks',
  'GET /webhooks/{id}',
  'PUT /webhooks/{id}',
  'DELETE /webhooks/{id}',
  'POST /webhooks/{id}/test',
  'GET /webhooks/{id}/deliveries',
  'GET /webhooks/{id}/deliveries/{deliveryId}',
  'POST /webhooks/{id}/deliveries/{deliveryId}/redeliver',
  'POST /webhooks/{id}/regenerate-secret',
  'POST /webhooks/{id}/recover',
  'GET /webhooks/events',
  'GET /openapi.json',
  // SPEC §10: the data of the per-webhook chart.
  'GET /webhooks/{id}/stats',
];

/**
 * Validates with @apidevtools/swagger-parser in a plain Node child: the parser is CommonJS that
 * requires an ES module, which Node loads but Jest's module runtime cannot. Resolves to 'ok' or
 * the parser's error message.
 */
function swaggerValidate(doc: unknown): Promise<string> {
  const script =
    "const S = require('@apidevtools/swagger-parser'); let s = '';" +
    "process.stdin.on('data', (c) => (s += c)).on('end', () => S.validate(JSON.parse(s)).then(" +
    "() => process.stdout.write('ok'), (e) => process.stdout.write('invalid: ' + e.message)));";
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', script], { cwd: process.cwd(), stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.on('error', reject);
    child.on('close', () => resolve(out));
    child.stdin.end(JSON.stringify(doc));
  });
}

// The document does not depend on the database: one dialect is enough.
describe('OpenAPI document', () => {
  let t: TestServer;
  let doc: any;

  beforeAll(async () => {
    t = await startTestServer('sqlite');
    const res = await fetch(`${t.url}/api/v1/openapi.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    doc = await res.json();
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('is a valid OpenAPI 3.1 document', async () => {
    expect(doc.openapi).toMatch(/^3\.1\./);
    expect(await swaggerValidate(doc)).toBe('ok');
    // The check can fail: a broken reference is caught.
    const broken = structuredClone(doc);
    broken.paths['/webhooks'].get.responses['200'].content['application/json'].schema = { $ref: '#/components/schemas/Missing' };
    expect(await swaggerValidate(broken)).toMatch(/^invalid: /);
  });

  it('lists every route of SPEC §8, and nothing else', () => {
    const listed = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) =>
      Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(listed.sort()).toEqual([...SPEC_ROUTES].sort());
  });

  it('every listed route exists on the server (none answers "No such endpoint")', async () => {
    const api = apiClient(t.url);
    for (const route of SPEC_ROUTES) {
      const [method, path] = route.split(' ') as [string, string];
      const res = await api.call(method, path.replace('{id}', '1').replace('{deliveryId}', '1'));
      expect({ route, message: res.body?.message }).not.toEqual({ route, message: 'No such endpoint' });
      expect(res.status).toBeLessThan(500);
    }
  });

  it('documents the bearer key, the envelopes and the validation errors', () => {
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
    const create = doc.paths['/webhooks'].post;
    expect(create.security).toEqual([{ bearerAuth: [] }]);
    expect(Object.keys(create.responses).sort()).toEqual(['201', '400', '401', '413', '422', '429']);
    expect(create.responses['422'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/ValidationError' });
    expect(create.requestBody.content['application/json'].schema).toEqual({ $ref: '#/components/schemas/WebhookCreate' });
    expect(doc.paths['/webhooks/{id}'].delete.responses['204']).toBeDefined();
  });

  it('is generated from the schemas the handlers validate with', () => {
    const input = doc.components.schemas.WebhookCreate;
    expect(input.required.sort()).toEqual(['events', 'name', 'url']);
    expect(input.properties.name).toMatchObject({ type: 'string', minLength: 1, maxLength: 255 });
    expect(input.properties.url).toMatchObject({ type: 'string', maxLength: 2048 });
    expect(input.properties.events).toMatchObject({ type: 'array', minItems: 1 });
    expect(input.properties.format.enum).toEqual(['json', 'slack', 'discord']);
    const query = doc.paths['/webhooks/{id}/deliveries'].get.parameters;
    expect(query.map((p: { name: string; in: string }) => `${p.in}:${p.name}`).sort()).toEqual(['path:id', 'query:event', 'query:page', 'query:per_page', 'query:status']);
    expect(query.find((p: { name: string }) => p.name === 'status').schema.enum).toEqual(['pending', 'delivered', 'failed']);
    const webhook = doc.components.schemas.Webhook;
    expect(Object.keys(webhook.properties)).not.toContain('secret');
    expect(doc.components.schemas.WebhookWithSecret.properties.secret).toBeDefined();
  });
});
