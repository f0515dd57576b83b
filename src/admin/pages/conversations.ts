import { html } from '../html.js';

/**
 * The agent console: conversations (with search) on the left, the selected one on the right
 * (Socket.IO /agent). `agentId`/`agentName` say who answers; null for an API-key sign-in, whose
 * replies carry no name. The client keys its read markers by `data-reader`.
 */
export function conversationsBody(who: { agentId: number | null; agentName: string | null }) {
  return html`<div class="page-head conv-page-head" id="console-root" data-reader="${who.agentId === null ? 'key' : `agent-${who.agentId}`}" data-agent-name="${who.agentName ?? ''}">
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
