import { html } from '../../ui/html.js';

/** The tag a site owner pastes into their pages; `server` is this server's origin. */
export function embedSnippet(server: string): string {
  return `<script src="${server}/widget.js" data-title="Chat with us" async></script>`;
}

/**
 * The agent console: open conversations on the left, the selected one on the right (Socket.IO /agent).
 * It is the page after sign-in, so it also says how to put the widget on a site.
 */
export function conversationsBody(server: string) {
  return html`<details class="card install">
  <summary>Install the widget on your site</summary>
  <p>Paste this tag into your pages, before <code>&lt;/body&gt;</code>. Visitors' chats then appear below.
  <a href="/demo" target="_blank" rel="noopener">Try it on the demo page</a>; options are in the README (“The visitor widget”).</p>
  <pre class="code"><code>${embedSnippet(server)}</code></pre>
</details>
<div class="page-head">
  <div>
    <h1>Conversations</h1>
    <p class="muted" id="connection" data-state="connecting">Connecting…</p>
  </div>
  <label class="agent-name">Reply as <input id="agent-name" type="text" maxlength="100" value="Agent" autocomplete="name"></label>
</div>
<div class="console">
  <aside class="card conv-list">
    <div class="conv-tabs" role="tablist">
      <button type="button" role="tab" class="tab" data-status="open" aria-selected="true">Open</button>
      <button type="button" role="tab" class="tab" data-status="closed" aria-selected="false">Closed</button>
    </div>
    <ul id="conversation-list" aria-label="Conversations"><li class="empty">Loading…</li></ul>
  </aside>
  <section class="card conv" id="conversation" aria-live="polite">
    <p class="empty">Select a conversation to read it and reply.</p>
  </section>
</div>`;
}
