/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import type { DeliveryView, WebhookView } from '../../api/schemas.js';
import type { WebhookStats } from '../../api/hourly-stats.js';
import { renderStatsChart } from '../chart-svg.js';
import { summarizeStats } from '../chart-summary.js';
import { api, ApiError } from '../../../ui/client/api.js';
import { byId, flash, h, replace } from '../../../ui/client/dom.js';
import { pagesBase, setTitle } from './base.js';
import { badge, formatTime, outcome, timeEl } from '../../../ui/client/format.js';
import { disabledNotice, failingLine } from './health.js';

const root = byId('deliveries-page');
const webhookId = root.dataset.webhookId!;
const container = byId('deliveries');
const statusFilter = byId<HTMLSelectElement>('status-filter');
const eventFilter = byId<HTMLSelectElement>('event-filter');
const PER_PAGE = 25;

const params = new URLSearchParams(location.search);
const currentPage = Math.max(1, Number.parseInt(params.get('page') ?? '1', 10) || 1);
statusFilter.value = ['pending', 'delivered', 'failed'].includes(params.get('status') ?? '') ? params.get('status')! : '';
// An event the select does not offer falls back to all events.
eventFilter.value = params.get('event') ?? '';
if (eventFilter.selectedIndex === -1) eventFilter.value = '';

/** This page's URL with the filters and a page: the filters and pager are plain links. */
function pageUrl(page: number): string {
  const q = new URLSearchParams();
  if (statusFilter.value) q.set('status', statusFilter.value);
  if (eventFilter.value) q.set('event', eventFilter.value);
  if (page > 1) q.set('page', String(page));
  const query = q.toString();
  return `${pagesBase()}/${webhookId}/deliveries${query ? `?${query}` : ''}`;
}

statusFilter.addEventListener('change', () => location.assign(pageUrl(1)));
eventFilter.addEventListener('change', () => location.assign(pageUrl(1)));

const deliveryHref = (id: string) => `${pagesBase()}/${webhookId}/deliveries/${encodeURIComponent(id)}`;

function row(d: DeliveryView): HTMLTableRowElement {
  const href = deliveryHref(d.delivery_id);
  const next = d.status === 'pending' && d.next_attempt_at ? h('span', { class: 'muted small block' }, `next ${formatTime(d.next_attempt_at)}`) : null;
  return h(
    'tr',
    { 'data-delivery-id': d.delivery_id },
    h('td', {}, badge(d.status), next),
    h('td', { class: 'event' }, h('a', { href, class: 'strong' }, d.event), d.is_test ? h('span', { class: 'tag' }, 'test') : null),
    h('td', { class: 'num', 'data-label': 'Attempts' }, String(d.attempt_number)),
    h('td', { 'data-label': 'Last response' }, d.attempt_number === 0 ? h('span', { class: 'muted' }, 'not tried yet') : outcome(d.last_status_code, null, d.last_error)),
    h('td', { 'data-label': 'Created' }, timeEl(d.created_at)),
    h('td', { class: 'delivery-id', 'data-label': 'Delivery ID' }, h('a', { href, class: 'mono small' }, d.delivery_id)),
  );
}

function pager(meta: { current_page: number; last_page: number; total: number }): void {
  const prev = byId<HTMLAnchorElement>('prev-page');
  const next = byId<HTMLAnchorElement>('next-page');
  prev.hidden = meta.current_page <= 1;
  next.hidden = meta.current_page >= meta.last_page;
  prev.href = pageUrl(meta.current_page - 1);
  next.href = pageUrl(meta.current_page + 1);
  byId('page-info').textContent =
    meta.total === 0 ? '' : `Page ${meta.current_page} of ${Math.max(1, meta.last_page)} · ${meta.total} deliver${meta.total === 1 ? 'y' : 'ies'}`;
}

function emptyText(): string {
  const which = [statusFilter.value, eventFilter.value].filter(Boolean).join(' ');
  return which ? `No ${which} deliveries.` : 'No deliveries yet. They appear here as events happen.';
}

async function loadLog(): Promise<void> {
  const query = new URLSearchParams({ page: String(currentPage), per_page: String(PER_PAGE) });
  if (statusFilter.value) query.set('status', statusFilter.value);
  if (eventFilter.value) query.set('event', eventFilter.value);
  try {
    const { data, meta } = await api<DeliveryView[]>('GET', `/webhooks/${webhookId}/deliveries?${query}`);
    container.removeAttribute('aria-busy');
    if (meta) pager(meta);
    if (data.length === 0) {
      replace(container, h('p', { class: 'empty' }, emptyText()));
      return;
    }
    replace(
      container,
      h(
        'table',
        { class: 'table', id: 'delivery-table' },
        h('thead', {}, h('tr', {}, ['Status', 'Event', 'Attempts', 'Last response', 'Created', 'Delivery ID'].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, data.map(row)),
      ),
    );
  } catch (err) {
    container.removeAttribute('aria-busy');
    replace(container, h('p', { class: 'alert error' }, `Could not load deliveries: ${(err as Error).message}`));
  }
}

/** How many deliveries wait in the table (held, while the webhook is disabled). */
async function pendingCount(): Promise<number> {
  const { meta } = await api<DeliveryView[]>('GET', `/webhooks/${webhookId}/deliveries?status=pending&per_page=1`);
  return meta?.total ?? 0;
}

/** Disabled (by the server or an admin) with what is held, or failing: said above the chart. */
async function showState(w: WebhookView): Promise<void> {
  const box = byId('webhook-state');
  if (w.is_active) {
    const failing = failingLine(w);
    replace(box, failing ? h('p', { class: 'alert warn state' }, failing, '. New attempts go out as they fall due.') : null);
    return;
  }
  const held = await pendingCount();
  const notice = disabledNotice(w);
  const heldText =
    held === 0 ? 'no deliveries are waiting' : `its ${held} pending deliver${held === 1 ? 'y is' : 'ies are'} held`;
  replace(
    box,
    h(
      'div',
      { class: 'alert warn state', 'data-state': 'disabled' },
      // The server's reason already says what to do (fix, then enable): then it is the only advice.
      notice.length
        ? [h('p', {}, notice), h('p', {}, `It gets no new deliveries, and ${heldText}.`)]
        : h(
            'p',
            {},
            h('strong', {}, 'This webhook is disabled.'),
            ` It gets no new deliveries, and ${heldText}${held === 0 ? '.' : ' until it is enabled again.'}`,
          ),
      h('p', {}, h('button', { type: 'button', class: 'button small', id: 'enable-webhook', onclick: (e) => void enable(e.currentTarget as HTMLButtonElement) }, 'Enable webhook')),
    ),
  );
}

async function enable(button: HTMLButtonElement): Promise<void> {
  button.disabled = true;
  try {
    const { data } = await api<WebhookView>('PUT', `/webhooks/${webhookId}`, { is_active: true });
    flash(`${data.name} enabled: held deliveries go out now.`);
    await showState(data);
    await loadLog();
  } catch (err) {
    flash(`Could not enable the webhook: ${(err as Error).message}`, 'error');
    button.disabled = false;
  }
}

/** The chart of the last 24 hours in the admin's time zone, with its figures in words beneath. */
async function loadChart(w: WebhookView | null): Promise<void> {
  const box = byId('chart');
  try {
    const { data } = await api<WebhookStats>('GET', `/webhooks/${webhookId}/stats?hours=24`);
    const timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    const svg = renderStatsChart(data, { title: `Deliveries of ${w?.name ?? `webhook ${webhookId}`}, last 24 hours`, idPrefix: `chart-${webhookId}`, timeZone });
    // Parsed as XML, not HTML: no script can run, and every name in it was escaped by the renderer.
    const parsed = new DOMParser().parseFromString(svg, 'image/svg+xml');
    if (parsed.querySelector('parsererror')) throw new Error('the chart could not be drawn');
    replace(box, document.importNode(parsed.documentElement, true));
    const summary = summarizeStats(data);
    const hour = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone });
    byId('chart-summary').textContent =
      summary.totals + (summary.failingSince ? `. Every attempt since ${hour.format(new Date(summary.failingSince))} failed.` : '.');
  } catch (err) {
    replace(box, h('p', { class: 'alert error' }, `Could not load the chart: ${(err as Error).message}`));
  } finally {
    box.removeAttribute('aria-busy');
  }
}

/** A delivery by its id (UUID or row id): opened when this webhook has it, said plainly when not. */
byId<HTMLFormElement>('find-delivery').addEventListener('submit', (event) => {
  event.preventDefault();
  const input = byId<HTMLInputElement>('find-id');
  const error = byId('find-error');
  const ref = input.value.trim();
  error.textContent = '';
  input.removeAttribute('aria-invalid');
  const fail = (message: string) => {
    error.textContent = message;
    input.setAttribute('aria-invalid', 'true');
    input.focus();
  };
  if (!/^([0-9a-fA-F-]{36}|[1-9]\d{0,15})$/.test(ref)) return fail('Enter a delivery ID (a UUID) or a row id.');
  void api<DeliveryView>('GET', `/webhooks/${webhookId}/deliveries/${encodeURIComponent(ref)}`).then(
    ({ data }) => location.assign(deliveryHref(data.delivery_id)),
    (err: unknown) =>
      fail(err instanceof ApiError && err.status === 404 ? `No delivery ${ref} in this webhook's logs.` : `Could not look it up: ${(err as Error).message}`),
  );
});

/** `YYYY-MM-DDTHH:MM` of a date in the browser's time zone, as a datetime-local input takes it. */
function localInputValue(date: Date): string {
  const local = new Date(date.getTime() - date.getTimezoneOffset() * 60_000);
  return local.toISOString().slice(0, 16);
}

byId<HTMLFormElement>('recover-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const since = byId<HTMLInputElement>('recover-since');
  const until = byId<HTMLInputElement>('recover-until');
  const error = byId('recover-error');
  const button = byId<HTMLButtonElement>('recover-submit');
  error.textContent = '';
  for (const input of [since, until]) input.removeAttribute('aria-invalid');
  const sinceDate = new Date(since.value);
  const untilDate = until.value ? new Date(until.value) : null;
  const invalid = (input: HTMLInputElement, message: string) => {
    error.textContent = message;
    input.setAttribute('aria-invalid', 'true');
    input.focus();
  };
  if (!since.value || Number.isNaN(sinceDate.getTime())) return invalid(since, 'Choose when the window starts.');
  if (untilDate && Number.isNaN(untilDate.getTime())) return invalid(until, 'Choose a valid end, or leave it empty for now.');
  button.disabled = true;
  void (async () => {
    try {
      const body = { since: sinceDate.toISOString(), ...(untilDate ? { until: untilDate.toISOString() } : {}) };
      const { data } = await api<{ count: number }>('POST', `/webhooks/${webhookId}/recover`, body);
      flash(
        data.count === 0
          ? 'No failed deliveries in that window.'
          : `${data.count} failed deliver${data.count === 1 ? 'y' : 'ies'} queued again.`,
      );
      await loadLog();
    } catch (err) {
      error.textContent = err instanceof ApiError ? [err.message, ...Object.values(err.errors).flat()].join(' ') : String(err);
    } finally {
      button.disabled = false;
    }
  })();
});

async function load(): Promise<void> {
  const webhook = await api<WebhookView>('GET', `/webhooks/${webhookId}`).then(
    ({ data }) => data,
    () => null,
  );
  if (webhook) {
    byId('webhook-name').textContent = webhook.name;
    setTitle(`${webhook.name}: delivery logs`);
  }
  byId<HTMLInputElement>('recover-since').value = localInputValue(new Date(Date.now() - 86_400_000));
  await Promise.all([loadChart(webhook), loadLog(), webhook ? showState(webhook).catch(() => {}) : null]);
}

void load();
