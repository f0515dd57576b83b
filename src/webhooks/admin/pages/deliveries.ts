import { html } from '../../../ui/html.js';

const statuses = [
  ['', 'All statuses'],
  ['pending', 'Pending'],
  ['delivered', 'Delivered'],
  ['failed', 'Failed'],
] as const;

/** Delivery logs of one webhook; the client reads `?status=&page=` and fills the table. */
export function deliveriesBody(base: string, webhookId: number) {
  return html`<div class="page-head">
  <div>
    <p class="crumbs"><a href="${base}">Webhooks</a> / <span id="webhook-name">Webhook ${webhookId}</span> /</p>
    <h1>Delivery logs</h1>
  </div>
  <a class="button" href="${base}/${webhookId}/edit">Edit webhook</a>
</div>
<div id="deliveries-page" data-webhook-id="${webhookId}">
  <div class="toolbar">
    <label for="status-filter">Status</label>
    <select id="status-filter">
      ${statuses.map(([value, label]) => html`<option value="${value}">${label}</option>`)}
    </select>
    <span class="spacer"></span>
    <span id="page-info" class="muted"></span>
  </div>
  <div id="deliveries" class="card" aria-busy="true"><p class="empty">Loading deliveries…</p></div>
  <nav class="pager" aria-label="Pages">
    <a class="button" id="prev-page" rel="prev" hidden>← Newer</a>
    <a class="button" id="next-page" rel="next" hidden>Older →</a>
  </nav>
</div>`;
}
