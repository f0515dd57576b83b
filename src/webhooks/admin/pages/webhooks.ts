import { html } from '../../../ui/html.js';

/** The webhook list; the client bundle fills the table from GET /api/v1/webhooks. */
export function webhooksBody(base: string) {
  return html`<div class="page-head">
  <div>
    <h1>Webhooks</h1>
    <p class="muted">Signed JSON POSTed to your URLs when conversations start, visitors write, agents reply and conversations close.</p>
  </div>
  <a class="button primary" href="${base}/new">Create webhook</a>
</div>
<div id="flash" role="status" aria-live="polite"></div>
<div id="webhooks" class="card" aria-busy="true"><p class="empty">Loading webhooks…</p></div>
<dialog id="confirm-delete" class="dialog" aria-labelledby="confirm-delete-title">
  <form method="dialog">
    <h2 id="confirm-delete-title">Delete webhook?</h2>
    <p><strong id="confirm-delete-name"></strong> and all its delivery logs will be deleted. This cannot be undone.</p>
    <div class="actions">
      <button value="cancel" class="button">Cancel</button>
      <button value="delete" class="button danger" id="confirm-delete-yes">Delete</button>
    </div>
  </form>
</dialog>`;
}
