// GET /widget.js and GET /demo over real HTTP.
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import express from 'express';
import { projectRoot } from '../../src/server.js';
import { widgetRoutes } from '../../src/widget-host/routes.js';
import { startTestServer, type TestServer } from '../support/server.js';

/** A raw GET, so the test controls Accept-Encoding and Host and sees the bytes on the wire. */
function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('widget routes', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer('sqlite');
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('serves /widget.js to any origin with a day of caching, an ETag, and gzip when accepted', async () => {
    const plain = await get(`${t.url}/widget.js`, { Origin: 'https://shop.example' });
    expect(plain.status).toBe(200);
    expect(plain.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(plain.headers['access-control-allow-origin']).toBe('*');
    expect(plain.headers['cache-control']).toMatch(/max-age=86400/);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.headers.etag).toMatch(/^"[\w-]{27}"$/);
    const code = plain.body.toString('utf8');
    expect(code).toContain('attachShadow');
    expect(code.length).toBeLessThan(120 * 1024);

    const gz = await get(`${t.url}/widget.js`, { 'Accept-Encoding': 'gzip, deflate' });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gz.headers.vary).toMatch(/Accept-Encoding/);
    expect(gz.headers.etag).not.toBe(plain.headers.etag);
    expect(gunzipSync(gz.body).equals(plain.body)).toBe(true);
    expect(gz.body.length).toBeLessThan(30 * 1024);
  });

  it('answers 304 to a matching If-None-Match', async () => {
    const first = await get(`${t.url}/widget.js`);
    const again = await get(`${t.url}/widget.js`, { 'If-None-Match': String(first.headers.etag) });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
    const changed = await get(`${t.url}/widget.js`, { 'If-None-Match': '"something-else"' });
    expect(changed.status).toBe(200);
  });

  it('serves /demo embedding the widget under a strict Content-Security-Policy', async () => {
    const res = await get(`${t.url}/demo`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    const html = res.body.toString('utf8');
    expect(html).toContain(`<script src="${t.url}/widget.js" data-server="${t.url}" data-title="Acme Support" data-color="#0f766e" async></script>`);
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toContain(`connect-src 'self' ${t.url} ${t.url.replace('http', 'ws')}`);
  });

  it('never reflects a forged Host header into the page or the policy', async () => {
    const res = await get(`${t.url}/demo`, { Host: 'evil.example"><script>alert(1)</script>' });
    const html = res.body.toString('utf8');
    expect(html).not.toContain('<script>alert(1)');
    expect(html).not.toContain('evil.example');
    expect(String(res.headers['content-security-policy'])).not.toContain('evil');
  });
});

describe('widget routes without a prebuilt bundle', () => {
  it('builds /widget.js in memory with esbuild when public/widget.js is missing', async () => {
    // A project root with the sources but no public/ folder.
    const root = mkdtempSync(join(tmpdir(), 'widget-root-'));
    symlinkSync(join(projectRoot, 'widget'), join(root, 'widget'));
    symlinkSync(join(projectRoot, 'scripts'), join(root, 'scripts'));
    const app = express().use(widgetRoutes({ root }));
    const http = createServer(app).listen(0, '127.0.0.1');
    await new Promise((r) => http.once('listening', r));
    try {
      const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/widget.js`;
      const res = await get(url);
      expect(res.status).toBe(200);
      expect(res.body.toString('utf8')).toContain('attachShadow');
      // Built once: the second answer carries the same ETag.
      expect((await get(url)).headers.etag).toBe(res.headers.etag);
    } finally {
      await new Promise((r) => http.close(r));
      rmSync(root, { recursive: true, force: true });
    }
  });
});
