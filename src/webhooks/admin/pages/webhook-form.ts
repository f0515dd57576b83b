import { eventCatalog, subscribableEvents } from '../../../events.js';
import { html } from '../../../ui/html.js';

const formats = [
  ['', 'Automatic (Slack and Discord URLs get their own format)'],
  ['json', 'JSON envelope'],
  ['slack', 'Slack message'],
  ['discord', 'Discord message'],
] as const;

/** Help text and error slot of one field: the client writes server-side errors into `#error-<field>`. */
function fieldNotes(field: string, hint?: string) {
  return html`${hint ? html`<p class="hint" id="hint-${field}">${hint}</p>` : ''}<p class="field-error" id="error-${field}" data-field="${field}" role="alert"></p>`;
}

/** Choices of "keep the old secret for", in seconds (SPEC §8 allows 0..604800). */
const overlaps = [
  ['0', 'now'],
  ['3600', '1 hour'],
  ['86400', '24 hours'],
] as const;

/**
 * Edit only: regenerate the secret, optionally keeping the old one signing `webhook-signature` for
 * a while, so the receiver can switch without losing a delivery. The new secret appears once.
 */
function rotateSecretControl() {
  return html`<fieldset class="field" id="rotate-secret">
    <legend>Regenerate secret</legend>
    <p class="hint" id="hint-rotate">Replaces the secret with a new <code>whsec_…</code> one. While the old one is kept, each request's
      <code>webhook-signature</code> carries both, so receivers verify with either; <code>X-Webhook-Signature</code> uses the new one at once.</p>
    <div class="input-row">
      <label for="old-secret-for">Keep the old secret for</label>
      <select id="old-secret-for">
        ${overlaps.map(([value, label]) => html`<option value="${value}">${label}</option>`)}
      </select>
      <button type="button" class="button" id="regenerate-secret">Regenerate secret</button>
    </div>
    <div id="new-secret-box" hidden>
      <label for="new-secret">New secret (shown only now: copy it to your receiver)</label>
      <div class="input-row">
        <input id="new-secret" type="text" readonly autocomplete="off" spellcheck="false">
        <button type="button" class="button" id="copy-new-secret">Copy</button>
      </div>
      <p class="hint" id="copy-new-secret-status" role="status"></p>
      <p class="hint" id="new-secret-note" role="status"></p>
    </div>
    <p class="field-error" id="error-rotate" role="alert"></p>
  </fieldset>`;
}

/**
 * Create/Edit form. Rendered complete on the server (events from the catalog); on edit the client
 * loads the webhook into it. It submits as JSON to the API so the 422 errors land beside the fields.
 */
export function webhookFormBody(base: string, webhookId?: number) {
  const editing = webhookId !== undefined;
  return html`<div class="page-head">
  <div>
    <p class="crumbs"><a href="${base}">Webhooks</a> /</p>
    <h1>${editing ? 'Edit webhook' : 'Create webhook'}</h1>
  </div>
</div>
<form id="webhook-form" class="card form" novalidate ${editing ? html`data-webhook-id="${webhookId}"` : ''}>
  <p class="alert error" id="form-error" role="alert" hidden></p>
  <div class="field">
    <label for="name">Name</label>
    <input id="name" name="name" type="text" maxlength="255" required placeholder="Support team Slack">
    ${fieldNotes('name')}
  </div>
  <div class="field">
    <label for="url">URL</label>
    <input id="url" name="url" type="url" maxlength="2048" required placeholder="https://example.com/hooks/livechat" spellcheck="false">
    ${fieldNotes('url', 'Where each event is POSTed. Slack incoming-webhook and Discord webhook URLs work as they are.')}
  </div>
  <div class="field">
    <label for="secret">Secret <span class="optional">optional</span></label>
    <div class="input-row">
      <input id="secret" name="secret" type="text" maxlength="255" autocomplete="off" spellcheck="false"
        placeholder="${editing ? 'Leave blank to keep the current secret' : 'whsec_…'}">
      <button type="button" class="button" id="generate-secret">Generate</button>
    </div>
    ${fieldNotes(
      'secret',
      'Requests carry X-Webhook-Signature (hex HMAC-SHA256 of the body) and the Standard Webhooks webhook-signature. It is shown only now: copy it to your receiver.',
    )}
  </div>
  ${editing ? rotateSecretControl() : ''}
  <fieldset class="field">
    <legend>Events</legend>
    <div class="checks">
      ${subscribableEvents.map(
        (event) => html`<label class="check">
        <input type="checkbox" name="events" value="${event}">
        <span><code>${event}</code><span class="muted">${eventCatalog[event].description}</span></span>
      </label>`,
      )}
    </div>
    ${fieldNotes('events')}
  </fieldset>
  <div class="field">
    <label for="format">Format</label>
    <select id="format" name="format">
      ${formats
        .filter(([value]) => !editing || value !== '')
        .map(([value, label]) => html`<option value="${value}">${label}</option>`)}
    </select>
    ${fieldNotes('format')}
  </div>
  <div class="field">
    <label class="check inline"><input type="checkbox" id="is_active" name="is_active" checked> <span>Enabled</span></label>
    ${fieldNotes('is_active', 'A disabled webhook gets no new deliveries; its pending retries wait until it is enabled again.')}
  </div>
  <div class="actions">
    <a class="button" href="${base}">Cancel</a>
    <button type="submit" class="button primary" id="save">${editing ? 'Save changes' : 'Create webhook'}</button>
  </div>
</form>`;
}
