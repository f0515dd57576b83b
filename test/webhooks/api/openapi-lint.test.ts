import { createConfig, lintFromString } from '@redocly/openapi-core';
import spectralCore from '@stoplight/spectral-core';
import spectralParsers from '@stoplight/spectral-parsers';
import { oas } from '@stoplight/spectral-rulesets';
import { startTestServer, type TestServer } from '../../support/server.js';

interface Finding {
  severity: 'error' | 'warn';
  rule: string;
  where: string;
}

/** `redocly lint` with its recommended rules, as the CLI runs it without a config file. */
async function redoclyLint(doc: unknown): Promise<Finding[]> {
  const config = await createConfig({ extends: ['recommended'] });
  const problems = await lintFromString({ source: JSON.stringify(doc, null, 2), absoluteRef: '/openapi.json', config });
  return problems.map((p) => ({ severity: p.severity === 'error' ? 'error' : 'warn', rule: p.ruleId, where: p.location[0]?.pointer ?? '' }));
}

/** `spectral lint` with `extends: spectral:oas`. */
async function spectralLint(doc: unknown): Promise<Finding[]> {
  const spectral = new spectralCore.Spectral();
  spectral.setRuleset({ extends: [[oas as never, 'recommended']] });
  const results = await spectral.run(new spectralCore.Document(JSON.stringify(doc, null, 2), spectralParsers.Json, '/openapi.json'));
  // Spectral's severities: 0 error, 1 warn, 2 info, 3 hint.
  return results.map((r) => ({ severity: r.severity === 0 ? 'error' : 'warn', rule: String(r.code), where: r.path.join('.') }));
}

/**
 * Warnings known and accepted, each for a reason: the project has no license or contact to name
 * yet, and the public document itself has no 4xx answer to describe.
 */
const ACCEPTED_WARNINGS = new Set([
  'redocly info-license #/info',
  'redocly operation-4xx-response #/paths/~1openapi.json/get/responses',
  'spectral info-contact info',
]);

// The document does not depend on the database: one dialect is enough.
describe('OpenAPI document lint', () => {
  let t: TestServer;
  let doc: any;

  beforeAll(async () => {
    t = await startTestServer('sqlite');
    doc = await (await fetch(`${t.url}/api/v1/openapi.json`)).json();
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('passes redocly lint (recommended) and spectral lint (spectral:oas) without errors or new warnings', async () => {
    const findings = [...(await redoclyLint(doc)).map((f) => ({ ...f, tool: 'redocly' })), ...(await spectralLint(doc)).map((f) => ({ ...f, tool: 'spectral' }))];
    expect(findings.filter((f) => f.severity === 'error')).toEqual([]);
    const warnings = findings.map((f) => `${f.tool} ${f.rule} ${f.where}`);
    expect(warnings.filter((w) => !ACCEPTED_WARNINGS.has(w))).toEqual([]);
  });

  it('catches what it is meant to catch', async () => {
    // The public document without its explicit empty security: the error redocly reported before.
    const unsecured = structuredClone(doc);
    delete unsecured.security;
    delete unsecured.paths['/openapi.json'].get.security;
    expect(await redoclyLint(unsecured)).toContainEqual({ severity: 'error', rule: 'security-defined', where: '#/paths/~1openapi.json/get' });

    // A path parameter the path does not declare.
    const badParam = structuredClone(doc);
    badParam.paths['/webhooks/{id}'].get.parameters[0].name = 'webhookId';
    expect((await spectralLint(badParam)).filter((f) => f.severity === 'error').map((f) => f.rule)).toContain('path-params');
  });
});
