import { html } from '../../ui/html.js';

/** The agent console: open conversations on the left, the selected one on the right (Socket.IO /agent). */
export function conversationsBody() {
  return html`<div class="page-head">
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
