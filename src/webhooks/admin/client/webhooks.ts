/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import type { WebhookListItemView } from '../../api/schemas.js';
import { api, ApiError } from '../../../ui/client/api.js';
import { byId, flash, h, replace, showPendingFlash } from '../../../ui/client/dom.js';
import { pagesBase } from './base.js';
import { badge, timeEl } from '../../../ui/client/format.js';
import { disabledNotice, failingLine, recentLine } from './health.js';

type Webhook = WebhookListItemView;

interface TestResult {
  success: boolean;
  status_code: number | null;
  duration_ms: number;
  error: string | null;
  cause: string;
}

const container = byId('webhooks');
const dialog = byId<HTMLDialogElement>('confirm-delete');

/** The newest delivery other than a Test press (the server leaves those out of last_delivery). */
function lastDelivery(w: Webhook): HTMLElement {
  if (!w.last_delivery) return h('span', { class: 'muted' }, 'No deliveries yet');
  const held = !w.is_active && w.last_delivery.status === 'pending';
  return h(
    'span',
    { class: 'last-delivery' },
    h('span', { class: 'muted small' }, 'Last delivery '),
    badge(w.last_delivery.status),
    ' ',
    held ? h('span', { class: 'muted small' }, 'held while disabled ') : null,
    timeEl(w.last_delivery.at),
  );
}

/** Health at a glance: the failing streak, the newest delivery, the last 24 hours' success rate. */
function health(w: Webhook): HTMLElement {
  return h('span', { class: 'stack health' }, failingLine(w), lastDelivery(w), recentLine(w.last_24h));
}

/** Why the server switched this webhook off, under its row, until the admin turns it back on. */
function disabledBanner(w: Webhook): HTMLElement | null {
  const notice = disabledNotice(w);
  if (notice.length === 0) return null;
  return h('tr', { class: 'notice-row', 'data-webhook-notice': w.id }, h('td', { colspan: 5 }, h('div', { class: 'alert warn' }, notice)));
}

function row(w: Webhook): HTMLTableRowElement[] {
  const toggle = h('input', {
    type: 'checkbox',
    role: 'switch',
    class: 'switch',
    'aria-label': `Enabled: ${w.name}`,
    checked: w.is_active,
    onchange: () => void setActive(w, toggle),
  });
  const testResult = h('span', { class: 'test-result', 'aria-live': 'polite' });
  const testButton = h('button', { type: 'button', class: 'button small', onclick: () => void runTest(w, testButton, testResult) }, 'Test');
  const banner = disabledBanner(w);
  const main = h(
    'tr',
    { 'data-webhook-id': w.id, class: [w.is_active ? '' : 'inactive', banner ? 'has-notice' : ''].join(' ').trim() },
    h(
      'td',
      { class: 'webhook' },
      h('a', { class: 'strong', href: `${pagesBase()}/${w.id}/edit` }, w.name),
      w.has_secret ? h('span', { class: 'tag', title: 'Requests carry X-Webhook-Signature' }, 'signed') : null,
      w.format !== 'json' ? h('span', { class: 'tag' }, w.format) : null,
      h('code', { class: 'url', title: w.url }, w.url),
    ),
    h('td', { class: 'events', 'data-label': 'Events' }, h('div', { class: 'chips' }, w.events.map((e) => h('span', { class: 'chip' }, e)))),
    h('td', { 'data-label': 'Enabled' }, h('label', { class: 'switch-label' }, toggle)),
    h('td', { 'data-label': 'Deliveries' }, health(w)),
    h(
      'td',
      { class: 'row-actions' },
      h('div', { class: 'button-group' },
        testButton,
        h('a', { class: 'button small', href: `${pagesBase()}/${w.id}/deliveries` }, `Logs (${w.delivery_logs_count})`),
        h('a', { class: 'button small', href: `${pagesBase()}/${w.id}/edit` }, 'Edit'),
        h('button', { type: 'button', class: 'button small danger-text', onclick: () => confirmDelete(w) }, 'Delete'),
      ),
      testResult,
    ),
  );
  return banner ? [main, banner as HTMLTableRowElement] : [main];
}

function render(webhooks: Webhook[]): void {
  container.removeAttribute('aria-busy');
  if (webhooks.length === 0) {
    replace(
      container,
      h('div', { class: 'empty' },
        h('p', {}, 'No webhooks yet.'),
        h('p', { class: 'muted' }, 'Create one to send conversations and messages to Slack, Discord, n8n, Zapier, Make or your own server.'),
        h('a', { class: 'button primary', href: `${pagesBase()}/new` }, 'Create webhook'),
      ),
    );
    return;
  }
  replace(
    container,
    h(
      'table',
      { class: 'table', id: 'webhook-table' },
      h(
        'thead',
        {},
        h('tr', {}, ['Webhook', 'Events', 'Enabled', 'Deliveries'].map((t) => h('th', { scope: 'col' }, t)), h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Actions'))),
      ),
      h('tbody', {}, webhooks.flatMap(row)),
    ),
  );
}

async function load(): Promise<void> {
  try {
    render((await api<Webhook[]>('GET', '/webhooks')).data);
  } catch (err) {
    replace(container, h('p', { class: 'alert error' }, `Could not load webhooks: ${(err as Error).message}`));
  }
}

/** The toggle works in place; on failure it flips back and says why. */
async function setActive(w: Webhook, toggle: HTMLInputElement): Promise<void> {
  const wanted = toggle.checked;
  toggle.disabled = true;
  try {
    await api('PUT', `/webhooks/${w.id}`, { is_active: wanted });
    await load();
    flash(`${w.name} ${wanted ? 'enabled' : 'disabled'}.`);
  } catch (err) {
    toggle.checked = !wanted;
    flash(`Could not ${wanted ? 'enable' : 'disable'} ${w.name}: ${(err as Error).message}`, 'error');
  } finally {
    toggle.disabled = false;
  }
}

async function runTest(w: Webhook, button: HTMLButtonElement, out: HTMLElement): Promise<void> {
  button.disabled = true;
  replace(out, h('span', { class: 'muted' }, 'Sending a test…'));
  try {
    const r = (await api<TestResult>('POST', `/webhooks/${w.id}/test`)).data;
    const answer = r.status_code !== null ? `HTTP ${r.status_code}` : r.cause;
    replace(
      out,
      // Marked as a test: it is no delivery, and the Deliveries column beside it leaves it out.
      h('span', { class: r.success ? 'ok' : 'bad', title: r.error ?? '' }, `Test: ${r.success ? '✓' : '✗'} ${answer} in ${r.duration_ms} ms`),
      !r.success && r.error ? h('span', { class: 'muted small block' }, r.error) : null,
    );
  } catch (err) {
    replace(out, h('span', { class: 'bad' }, `Test: ✗ ${err instanceof ApiError ? err.message : String(err)}`));
  } finally {
    button.disabled = false;
  }
}

let pendingDelete: Webhook | null = null;

function confirmDelete(w: Webhook): void {
  pendingDelete = w;
  byId('confirm-delete-name').textContent = w.name;
  dialog.returnValue = '';
  dialog.showModal();
}

dialog.addEventListener('close', () => {
  const w = pendingDelete;
  pendingDelete = null;
  if (!w || dialog.returnValue !== 'delete') return;
  void (async () => {
    try {
      await api('DELETE', `/webhooks/${w.id}`);
      await load();
      flash(`${w.name} deleted, with its delivery logs.`);
    } catch (err) {
      flash(`Could not delete ${w.name}: ${(err as Error).message}`, 'error');
    }
  })();
});

showPendingFlash();
void load();
