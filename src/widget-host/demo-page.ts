import { createHash } from 'node:crypto';

/** Escapes text for HTML content and double-quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const style = `
body{margin:0;font:16px/1.6 Georgia,serif;color:#1f2937;background:#fdfcf8}
header{background:#134e4a;color:#f0fdfa;padding:18px 32px;font:600 20px system-ui,sans-serif}
main{max-width:600px;padding:32px 32px 32px 6%}
h1{font-size:34px;line-height:1.2;margin:0 0 12px}
pre{background:#111827;color:#e5e7eb;padding:16px;border-radius:8px;white-space:pre-wrap;word-break:break-all;font-size:13px}
`;

/**
 * The demo page: a plain site with the one-line embed, shown both live and as the snippet to copy.
 * `server` must already be a normalised origin ('' leaves data-server out: the script's own origin).
 */
export function demoPage(options: { server: string; title: string; color: string }): { html: string; styleHash: string } {
  const attrs = [
    `src="${options.server ? escapeHtml(options.server) : ''}/widget.js"`,
    options.server ? `data-server="${escapeHtml(options.server)}"` : '',
    `data-title="${escapeHtml(options.title)}"`,
    `data-color="${escapeHtml(options.color)}"`,
    'async',
  ].filter(Boolean);
  const tag = `<script ${attrs.join(' ')}></script>`;
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>Live chat widget demo</title>
<style>${style}</style>
</head>
<body>
<header>Acme Outdoor</header>
<main>
<h1>Questions about your order?</h1>
<p>This page is an ordinary website with the live-chat widget embedded by one tag. Open the chat
bubble at the bottom right, introduce yourself, and write; an agent answers from the admin console
(Admin → Live Chat → Conversations).</p>
<p>The widget renders in a Shadow DOM, so this page's styles do not touch it, and it runs under this
page's strict Content-Security-Policy (no inline scripts or styles needed).</p>
<h2>Embed it on your site</h2>
<pre><code>${escapeHtml(tag)}</code></pre>
</main>
${tag}
</body>
</html>
`;
  return { html, styleHash: `sha256-${createHash('sha256').update(style).digest('base64')}` };
}
