import { escapeHtml, html, raw } from '../../src/ui/html.js';
import { groupNav, page } from '../../src/admin/layout.js';
import { safeNextPath } from '../../src/admin/next-path.js';
import { readCookie, sessionCookie } from '../../src/admin/cookies.js';

const xss = '<img src=x onerror=alert(1)>';

describe('html template', () => {
  it('escapes every interpolated string, in text and in attributes', () => {
    expect(html`<p title="${'"><script>'}">${xss}</p>`.value).toBe('<p title="&quot;&gt;&lt;script&gt;">&lt;img src=x onerror=alert(1)&gt;</p>');
    expect(escapeHtml(`&<>"'`)).toBe('&amp;&lt;&gt;&quot;&#39;');
  });

  it('keeps nested templates and raw markup, joins arrays, drops null, undefined and false', () => {
    const items = ['a<b', 'c'].map((x) => html`<li>${x}</li>`);
    expect(html`<ul>${items}</ul>${null}${undefined}${false}${0}${raw('<br>')}`.value).toBe('<ul><li>a&lt;b</li><li>c</li></ul>0<br>');
  });

  it('renders a page whose title, nav and CSRF token are escaped', () => {
    const out = page({
      title: xss,
      csrfToken: 'tok"en',
      nav: [{ path: '/admin/x', title: xss, section: 'Live Chat' }],
      current: '/admin/x',
      script: 'conversations',
      scripts: ['/admin/webhooks/assets/webhooks.js?"x'],
      styles: ['/admin/webhooks/assets/webhooks.css'],
      body: html`<p>${xss}</p>`,
    });
    expect(out).not.toContain('<img');
    expect(out).toContain('<meta name="csrf-token" content="tok&quot;en">');
    expect(out).toContain('aria-current="page"');
    expect(out).toContain('<script type="module" src="/admin/assets/conversations.js"></script>');
    expect(out).toContain('<script type="module" src="/admin/webhooks/assets/webhooks.js?&quot;x"></script>');
    expect(out).toContain('<link rel="stylesheet" href="/admin/webhooks/assets/webhooks.css">');
  });

  it('groups navigation entries by section in first-seen order', () => {
    const nav = [
      { path: '/a', title: 'A', section: 'Live Chat' },
      { path: '/b', title: 'B', section: 'Other' },
      { path: '/c', title: 'C', section: 'Live Chat' },
    ];
    expect(groupNav(nav).map(([s, items]) => [s, items.map((i) => i.title)])).toEqual([
      ['Live Chat', ['A', 'C']],
      ['Other', ['B']],
    ]);
  });
});

describe('safeNextPath', () => {
  it.each([
    ['/admin/webhooks', '/admin/webhooks'],
    ['/admin/webhooks/3/deliveries?status=failed&page=2', '/admin/webhooks/3/deliveries?status=failed&page=2'],
    ['/admin', '/admin'],
  ])('keeps the admin path %s', (input, expected) => expect(safeNextPath(input)).toBe(expected));

  it.each([undefined, 42, '', 'https://evil.example/admin', '//evil.example/admin', '/\\evil.example', '/api/v1/webhooks', '/administrator', '/admin/login?next=/admin', '/admin/logout'])(
    'sends %p to the default page',
    (input) => expect(safeNextPath(input)).toBe('/admin/conversations'),
  );
});

describe('cookies', () => {
  it('reads one cookie among several, decoding it', () => {
    expect(readCookie('a=1; lc_session=v1.x%2Ey; b=2', 'lc_session')).toBe('v1.x.y');
    expect(readCookie('a=1', 'lc_session')).toBeUndefined();
    expect(readCookie(undefined, 'lc_session')).toBeUndefined();
    expect(readCookie('lc_session=%E0%A4%A', 'lc_session')).toBeUndefined();
  });

  it('makes HttpOnly SameSite=Strict session cookies, Secure on https, and expires them', () => {
    expect(sessionCookie('lc_session', 'v', { maxAge: 60, secure: false })).toBe('lc_session=v; Path=/; HttpOnly; SameSite=Strict; Max-Age=60');
    expect(sessionCookie('lc_session', 'v', { maxAge: 60, secure: true })).toMatch(/; Secure$/);
    expect(sessionCookie('lc_session', '', { maxAge: 0, secure: false })).toContain('Max-Age=0; Expires=Thu, 01 Jan 1970');
  });
});
