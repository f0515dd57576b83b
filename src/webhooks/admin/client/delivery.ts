/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import type { AttemptView, DeliveryDetailView, WebhookView } from '../../api/schemas.js';
import { api } from '../../../ui/client/api.js';
import { curlCommand } from './curl.js';
import { byId, flash, h, replace, type Child } from '../../../ui/client/dom.js';
import { badge, formatTime, outcome } from '../../../ui/client/format.js';

const container = byId('delivery');
const webhookId = container.dataset.webhookId!;
const deliveryId = container.dataset.deliveryId!;
const redeliverButton = byId<HTMLButtonElement>('redeliver');
const curlButton = byId<HTMLButtonElement>('copy-curl');
const path = `/webhooks/${webhookId}/deliveries/${encodeURIComponent(deliveryId)}`;

let webhook: WebhookView | null = null;
let delivery: DeliveryDetailView | null = null;

/** The body as sent, indented when it is JSON (the curl command keeps the exact bytes). */
function pretty(body: string): string {
  try {
    return JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    return body;
  }
}

function facts(pairs: [string, Child][]): HTMLDListElement {
  return h('dl', { class: 'facts' }, pairs.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

function attemptCard(a: AttemptView): HTMLElement {
  const ok = a.response_status !== null && a.response_status >= 200 && a.response_status < 300;
  return h(
    'article',
    { class: 'card attempt', 'data-attempt': a.attempt_number },
    h(
      'header',
      { class: 'attempt-head' },
      h('h3', {}, `Attempt ${a.attempt_number}`),
      h('span', { class: `badge ${ok ? 'badge-delivered' : 'badge-failed'}` }, outcome(a.response_status, a.cause, a.error)),
      h('span', { class: 'muted' }, `${a.duration_ms} ms`),
      h('span', { class: 'muted' }, formatTime(a.created_at)),
      h('span', { class: 'tag', title: 'Cause' }, a.cause),
    ),
    a.error ? h('p', { class: 'alert error small' }, a.error) : null,
    h(
      'div',
      { class: 'columns' },
      h(
        'section',
        {},
        h('h4', {}, 'Request headers'),
        h('table', { class: 'table compact headers' }, h('tbody', {}, Object.entries(a.request_headers).map(([k, v]) => h('tr', {}, h('th', { scope: 'row' }, k), h('td', { class: 'mono' }, v))))),
      ),
      h(
        'section',
        {},
        h('h4', {}, 'Response', a.response_status !== null ? ` · HTTP ${a.response_status}` : ''),
        a.response_body ? h('pre', { class: 'code response', tabindex: 0 }, a.response_body) : h('p', { class: 'muted' }, a.response_status === null ? 'No response.' : 'Empty body.'),
      ),
    ),
  );
}

function render(d: DeliveryDetailView): void {
  container.removeAttribute('aria-busy');
  replace(
    container,
    h(
      'section',
      { class: 'card' },
      facts([
        ['Status', badge(d.status)],
        ['Event', h('span', {}, h('code', {}, d.event), d.is_test ? h('span', { class: 'tag', title: 'Sent by the Test button: left out of the chart and the list' }, 'test') : null)],
        ['Webhook', webhook ? h('span', {}, webhook.name, h('span', { class: 'muted mono small block' }, webhook.url)) : `#${webhookId}`],
        ['Attempts', String(d.attempt_number)],
        ['Created', formatTime(d.created_at)],
        ['Delivered', d.delivered_at ? formatTime(d.delivered_at) : '—'],
        ['Next attempt', d.next_attempt_at ? formatTime(d.next_attempt_at) : '—'],
        ['Last error', d.last_error ?? '—'],
      ]),
    ),
    h('section', { class: 'card' }, h('h2', {}, 'Body'), h('pre', { class: 'code', id: 'delivery-body', tabindex: 0 }, pretty(d.body))),
    h('h2', { class: 'section-title' }, `Attempts (${d.attempts.length})`),
    d.attempts.length ? d.attempts.map(attemptCard) : h('p', { class: 'card empty' }, 'Not attempted yet.'),
  );
  redeliverButton.disabled = false;
  curlButton.disabled = webhook === null;
  // An open curl box follows the newest attempt (after a redelivery, say).
  if (!byId('curl-box').hidden && webhook) byId<HTMLTextAreaElement>('curl').value = curl();
}

async function load(): Promise<void> {
  const [w, d] = await Promise.all([api<WebhookView>('GET', `/webhooks/${webhookId}`), api<DeliveryDetailView>('GET', path)]);
  webhook = w.data;
  delivery = d.data;
  byId('webhook-name').textContent = `${webhook.name}: delivery logs`;
  render(delivery);
}

/** The newest attempt's exact request, or the stored body with the bare headers if none was made. */
function curl(): string {
  const last = delivery!.attempts.at(-1);
  return curlCommand(webhook!.url, last?.request_headers ?? { 'Content-Type': 'application/json' }, delivery!.body);
}

curlButton.addEventListener('click', () => {
  const command = curl();
  const box = byId<HTMLTextAreaElement>('curl');
  box.value = command;
  box.rows = Math.min(16, command.split('\n').length + 1);
  byId('curl-box').hidden = false;
  byId('curl-box').scrollIntoView({ block: 'nearest' });
  navigator.clipboard?.writeText(command).then(
    () => flash('curl command copied to the clipboard.'),
    () => {
      box.select();
      flash('Select the command below and copy it.');
    },
  );
});

/** Redeliver queues the same delivery_id again; the first attempt starts at once, so poll briefly for it. */
redeliverButton.addEventListener('click', () => {
  redeliverButton.disabled = true;
  const before = delivery?.attempts.length ?? 0;
  void (async () => {
    try {
      await api('POST', `${path}/redeliver`);
      flash('Queued again. The new attempt appears below.');
      for (let i = 0; i < 20; i++) {
        await new Promise((r) => setTimeout(r, 500));
        await load();
        if ((delivery?.attempts.length ?? 0) > before && delivery?.status !== 'pending') break;
      }
    } catch (err) {
      flash(`Could not redeliver: ${(err as Error).message}`, 'error');
    } finally {
      redeliverButton.disabled = false;
    }
  })();
});

load().catch((err: Error) => {
  container.removeAttribute('aria-busy');
  replace(container, h('p', { class: 'alert error' }, `Could not load this delivery: ${err.message}`));
});
