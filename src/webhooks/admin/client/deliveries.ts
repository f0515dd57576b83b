/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import type { DeliveryView, WebhookView } from '../../api/schemas.js';
import { api } from '../../../ui/client/api.js';
import { byId, h, replace } from '../../../ui/client/dom.js';
import { pagesBase, setTitle } from './base.js';
import { badge, formatTime, outcome, timeEl } from '../../../ui/client/format.js';

const root = byId('deliveries-page');
const webhookId = root.dataset.webhookId!;
const container = byId('deliveries');
const filter = byId<HTMLSelectElement>('status-filter');
const PER_PAGE = 25;

const params = new URLSearchParams(location.search);
const status = params.get('status') ?? '';
const currentPage = Math.max(1, Number.parseInt(params.get('page') ?? '1', 10) || 1);
filter.value = ['pending', 'delivered', 'failed'].includes(status) ? status : '';

/** This page's URL with other query values: the filter and pager are plain links. */
function pageUrl(page: number, statusFilter = filter.value): string {
  const q = new URLSearchParams();
  if (statusFilter) q.set('status', statusFilter);
  if (page > 1) q.set('page', String(page));
  const query = q.toString();
  return `${pagesBase()}/${webhookId}/deliveries${query ? `?${query}` : ''}`;
}

filter.addEventListener('change', () => location.assign(pageUrl(1)));

function row(d: DeliveryView): HTMLTableRowElement {
  const href = `${pagesBase()}/${webhookId}/deliveries/${encodeURIComponent(d.delivery_id)}`;
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

async function load(): Promise<void> {
  void api<WebhookView>('GET', `/webhooks/${webhookId}`)
    .then(({ data }) => {
      byId('webhook-name').textContent = data.name;
      setTitle(`${data.name}: delivery logs`);
    })
    .catch(() => {});
  const query = new URLSearchParams({ page: String(currentPage), per_page: String(PER_PAGE) });
  if (filter.value) query.set('status', filter.value);
  try {
    const { data, meta } = await api<DeliveryView[]>('GET', `/webhooks/${webhookId}/deliveries?${query}`);
    container.removeAttribute('aria-busy');
    if (meta) pager(meta);
    if (data.length === 0) {
      replace(container, h('p', { class: 'empty' }, filter.value ? `No ${filter.value} deliveries.` : 'No deliveries yet. They appear here as events happen.'));
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
    replace(container, h('p', { class: 'alert error' }, `Could not load deliveries: ${(err as Error).message}`));
  }
}

void load();
