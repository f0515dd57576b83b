// What a newcomer meets: `/` leads to the sign-in, and the page after it shows the widget's embed tag.
import { request } from 'node:http';
import { startTestServer, TEST_API_KEY, type TestServer } from './support/server.js';

/** Signs in through the form, as the browser does; returns the session cookie. */
async function signIn(url: string): Promise<string> {
  const res = await fetch(`${url}/admin/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: url },
    body: new URLSearchParams({ api_key: TEST_API_KEY }).toString(),
  });
  expect(res.status).toBe(303);
  return res.headers.get('set-cookie')!.split(';')[0]!;
}

/** GET with a chosen Host header (fetch does not allow one). */
function getWithHost(url: string, host: string, cookie: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { Host: host, Cookie: cookie } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('first run', () => {
  let t: TestServer;
  let publicUrl: TestServer;
  beforeAll(async () => {
    t = await startTestServer('sqlite');
    publicUrl = await startTestServer('sqlite', { PUBLIC_URL: 'https://chat.example.com' });
  });
  afterAll(async () => {
    await t?.stop();
    await publicUrl?.stop();
  });

  it('sends a person opening / to the admin sign-in', async () => {
    const res = await fetch(`${t.url}/`);
    expect(res.status).toBe(200);
    expect(new URL(res.url).pathname).toBe('/admin/login');
    expect(await res.text()).toContain('name="api_key"');
  });

  it('lands a signed-in admin on Conversations, with the embed tag for this server and a link to /demo', async () => {
    const cookie = await signIn(t.url);
    const res = await fetch(`${t.url}/`, { headers: { Cookie: cookie } });
    expect(new URL(res.url).pathname).toBe('/admin/conversations');
    const page = await res.text();
    expect(page).toContain('Install the widget on your site');
    expect(page).toContain(`&lt;script src=&quot;${t.url}/widget.js&quot; data-title=&quot;Chat with us&quot; async&gt;&lt;/script&gt;`);
    expect(page).toContain('<a href="/demo"');
    // The tag is shown, never run: the only scripts on the page are the console's own module.
    expect(page.match(/<script\b/g)).toHaveLength(1);
  });

  it('names PUBLIC_URL in the embed tag when it is set', async () => {
    const page = await (await fetch(`${publicUrl.url}/admin/conversations`, { headers: { Cookie: await signIn(publicUrl.url) } })).text();
    expect(page).toContain('&lt;script src=&quot;https://chat.example.com/widget.js&quot;');
  });

  it('does not put a forged Host header into the page', async () => {
    const page = await getWithHost(`${t.url}/admin/conversations`, 'evil.example"><img src=x onerror=alert(1)>', await signIn(t.url));
    expect(page).toContain('Install the widget on your site');
    expect(page).not.toContain('evil.example');
    expect(page).not.toContain('<img');
    expect(page).toContain('&lt;script src=&quot;/widget.js&quot;');
  });
});
