import { eventCatalog } from '../../../events.js';
import { html } from '../../../ui/html.js';

const statuses = [
  ['', 'All statuses'],
  ['pending', 'Pending'],
  ['delivered', 'Delivered'],
  ['failed', 'Failed'],
] as const;

/**
 * Delivery logs of one webhook: its state (disabled, failing), the chart of its last 24 hours, the
 * log filtered by `?status=&event=&page=`, finding a delivery by its id, and recovering failed
 * deliveries of a time window. The client fills what comes from the API.
 */
export function deliveriesBody(base: string, webhookId: number) {
  return html`<div class="page-head">
  <div>
    <p class="crumbs"><a href="${base}">Webhooks</a> / <span id="webhook-name">Webhook ${webhookId}</span> /</p>
    <h1>Delivery logs</h1>
  </div>
  <a class="button" href="${base}/${webhookId}/edit">Edit webhook</a>
</div>
<div id="flash" role="status" aria-live="polite"></div>
<div id="deliveries-page" data-webhook-id="${webhookId}">
  <div id="webhook-state"></div>
  <section class="card chart-card" aria-labelledby="chart-heading">
    <h2 id="chart-heading">Last 24 hours</h2>
    <div id="chart" aria-busy="true"><p class="empty">Loading the chart…</p></div>
    <p id="chart-summary" class="muted"></p>
  </section>
  <div class="toolbar">
    <label for="status-filter">Status</label>
    <select id="status-filter">
      ${statuses.map(([value, label]) => html`<option value="${value}">${label}</option>`)}
    </select>
    <label for="event-filter">Event</label>
    <select id="event-filter">
      <option value="">All events</option>
      ${Object.keys(eventCatalog).map((event) => html`<option value="${event}">${event}</option>`)}
    </select>
    <span class="spacer"></span>
    <span id="page-info" class="muted"></span>
  </div>
  <form id="find-delivery" class="toolbar" role="search" novalidate>
    <label for="find-id">Delivery ID</label>
    <input id="find-id" type="search" maxlength="64" autocomplete="off" spellcheck="false" placeholder="UUID or row id" aria-describedby="find-error">
    <button type="submit" class="button">Find</button>
    <span class="field-error" id="find-error" role="alert"></span>
  </form>
  <div id="deliveries" class="card" aria-busy="true"><p class="empty">Loading deliveries…</p></div>
  <nav class="pager" aria-label="Pages">
    <a class="button" id="prev-page" rel="prev" hidden>← Newer</a>
    <a class="button" id="next-page" rel="next" hidden>Older →</a>
  </nav>
  <section class="card" id="recover" aria-labelledby="recover-heading">
    <h2 id="recover-heading">Recover failed deliveries</h2>
    <p class="hint" id="recover-hint">After an outage: queue again every failed delivery of this webhook created in the window, with a fresh
      retry budget. Times are your local time; leave “To” empty for now.</p>
    <form id="recover-form" class="recover-row" novalidate aria-describedby="recover-hint">
      <label for="recover-since">From</label>
      <input id="recover-since" type="datetime-local" step="60" required>
      <label for="recover-until">To</label>
      <input id="recover-until" type="datetime-local" step="60">
      <button type="submit" class="button" id="recover-submit">Queue failed deliveries again</button>
    </form>
    <p class="field-error" id="recover-error" role="alert"></p>
  </section>
</div>`;
}
