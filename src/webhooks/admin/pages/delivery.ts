import { html } from '../../../ui/html.js';

/** One delivery: summary, body, every attempt, Redeliver and "Copy as curl". Filled by the client. */
export function deliveryBody(base: string, webhookId: number, deliveryId: string) {
  return html`<div class="page-head">
  <div>
    <p class="crumbs"><a href="${base}">Webhooks</a> /
      <a href="${base}/${webhookId}/deliveries" id="webhook-name">Delivery logs</a> /</p>
    <h1>Delivery <code class="id">${deliveryId}</code></h1>
  </div>
  <div class="head-actions">
    <button type="button" class="button" id="copy-curl" disabled>Copy as curl</button>
    <button type="button" class="button primary" id="redeliver" disabled>Redeliver</button>
  </div>
</div>
<div id="flash" role="status" aria-live="polite"></div>
<div id="delivery" data-webhook-id="${webhookId}" data-delivery-id="${deliveryId}" aria-busy="true">
  <p class="empty card">Loading delivery…</p>
</div>
<section class="card curl" id="curl-box" hidden>
  <h2>The newest attempt as curl</h2>
  <textarea id="curl" readonly rows="6" spellcheck="false" aria-label="curl command"></textarea>
</section>`;
}
