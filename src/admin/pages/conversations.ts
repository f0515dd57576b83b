import { html } from '../../ui/html.js';

/** The tag a site owner pastes into their pages; `server` is this server's origin. */
export function embedSnippet(server: string): string {
  return `<script src="${server}/widget.js" data-title="Chat with us" async></script>`;
}

/**
 * The agent console: open conversations on the left, the selected one on the right (Socket.IO /agent).
 * It is the page after sign-in, so it also says how to put the widget on a site.
 */
export function conversationsBody(who: { agentId: number | null; agentName: string | null }, server: string) {
  return html`<details class="card install">
  <summary>Install the widget on your site</summary>
  <p>Paste this tag into your pages, before <code>&lt;/body&gt;</code>. Visitors' chats then appear below.
  <a href="/demo" target="_blank" rel="noopener">Try it on the demo page</a>; options are in the README (“The visitor widget”).</p>
  <pre class="code"><code>${embedSnippet(server)}</code></pre>
</details>
<div class="page-head conv-page-head" id="console-root" data-reader="${who.agentId === null ? 'key' : `agent-${who.agentId}`}" data-agent-name="${who.agentName ?? ''}">
  <div>
    <h1>Conversations</h1>
    <p class="muted" id="connection" data-state="connecting">Connecting…</p>
    <p class="muted small" id="answering-as">${who.agentName
      ? html`You answer as <strong>${who.agentName}</strong>.`
      : html`Signed in with an API key: visitors see your replies as “Agent”. Add agent accounts under Team → Agents.`}</p>
  </div>
  <div class="alert-settings" role="group" aria-label="Alerts">
    <label class="check inline small"><input type="checkbox" id="sound-toggle"> Sound</label>
    <label class="check inline small"><input type="checkbox" id="desktop-toggle"> Desktop notifications</label>
    <span class="muted small" id="alert-hint" role="status"></span>
  </div>
</div>
<div class="console">
  <aside class="card conv-list" aria-label="Conversation list">
    <form class="conv-search" role="search" id="search-form">
      <label for="search" class="visually-hidden">Search conversations</label>
      <input id="search" type="search" placeholder="Search name, email or message" maxlength="200" autocomplete="off">
    </form>
    <div class="conv-tabs" role="tablist" id="conv-tabs">
      <button type="button" role="tab" class="tab" data-status="open" aria-selected="true">Open</button>
      <button type="button" role="tab" class="tab" data-status="closed" aria-selected="false">Closed</button>
    </div>
    <p class="search-head muted small" id="search-head" hidden></p>
    <ul id="conversation-list" aria-label="Conversations"><li class="empty">Loading…</li></ul>
  </aside>
  <section class="card conv" id="conversation" aria-label="Conversation" aria-live="polite">
    <p class="empty">Select a conversation to read it and reply.</p>
  </section>
</div>`;
}
