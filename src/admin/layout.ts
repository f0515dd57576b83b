import { html, type SafeHtml } from '../ui/html.js';

/** An entry of the admin navigation (the plugin host's addAdminPage adds more). */
export interface AdminNavItem {
  path: string;
  title: string;
  section: string;
}

export interface PageOptions {
  title: string;
  /** The client bundle this page runs (`/admin/assets/<script>.js`), if any. */
  script?: string;
  /** More module scripts and stylesheets by URL: a plugin's page brings its own. */
  scripts?: readonly string[];
  styles?: readonly string[];
  /** Present on signed-in pages: shown as `<meta name="csrf-token">` and in the sign-out form. */
  csrfToken?: string;
  nav?: readonly AdminNavItem[];
  /** The path whose navigation entry is highlighted. */
  current?: string;
  body: SafeHtml;
}

/** The navigation grouped by section, in the order sections first appear. */
export function groupNav(items: readonly AdminNavItem[]): [string, AdminNavItem[]][] {
  const sections = new Map<string, AdminNavItem[]>();
  for (const item of items) sections.set(item.section, [...(sections.get(item.section) ?? []), item]);
  return [...sections];
}

function navigation(items: readonly AdminNavItem[], current: string | undefined): SafeHtml {
  return html`<nav class="sidebar" aria-label="Admin">
    ${groupNav(items).map(
      ([section, entries]) => html`<div class="nav-section">
        <div class="nav-heading">${section}</div>
        ${entries.map(
          (e) => html`<a class="nav-link" href="${e.path}"${current?.startsWith(e.path) ? html` aria-current="page"` : ''}>${e.title}</a>`,
        )}
      </div>`,
    )}
  </nav>`;
}

/** A whole admin page: head, top bar, navigation and the page's own body. */
export function page(options: PageOptions): string {
  const signedIn = options.csrfToken !== undefined;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${options.title} · Live Chat admin</title>
${signedIn ? html`<meta name="csrf-token" content="${options.csrfToken}">` : ''}
<link rel="stylesheet" href="/admin/assets/admin.css">
${(options.styles ?? []).map((href) => html`<link rel="stylesheet" href="${href}">`)}
${options.script ? html`<script type="module" src="/admin/assets/${options.script}.js"></script>` : ''}
${(options.scripts ?? []).map((src) => html`<script type="module" src="${src}"></script>`)}
</head>
<body class="${signedIn ? 'app' : 'bare'}">
${signedIn
    ? html`<header class="topbar">
  <a class="brand" href="/admin"><span class="brand-mark" aria-hidden="true">●</span> Live Chat <span class="brand-sub">admin</span></a>
  <form method="post" action="/admin/logout" class="signout">
    <input type="hidden" name="_csrf" value="${options.csrfToken}">
    <button type="submit" class="button subtle">Sign out</button>
  </form>
</header>
<div class="shell">
  ${navigation(options.nav ?? [], options.current)}
  <main class="content" id="main">${options.body}</main>
</div>`
    : html`<main class="content" id="main">${options.body}</main>`}
</body>
</html>
`.value;
}
