/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import type { WebhookView } from '../../api/schemas.js';
import { api, ApiError } from '../../../ui/client/api.js';
import { byId, flashNext, h } from '../../../ui/client/dom.js';
import { pagesBase, setTitle } from './base.js';

const form = byId<HTMLFormElement>('webhook-form');
const webhookId = form.dataset.webhookId;
const fields = ['name', 'url', 'secret', 'events', 'format', 'is_active'] as const;
type Field = (typeof fields)[number];

const input = (id: string) => byId<HTMLInputElement>(id);
const eventBoxes = () => [...form.querySelectorAll<HTMLInputElement>('input[name="events"]')];

/** `whsec_` + 64 hex characters from the browser's CSPRNG, the same shape the API generates. */
function generateSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return 'whsec_' + [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
}

function clearErrors(): void {
  for (const field of fields) {
    byId(`error-${field}`).textContent = '';
    form.querySelector(`[name="${field}"]`)?.removeAttribute('aria-invalid');
  }
  byId('form-error').hidden = true;
}

/** The API's 422 `errors` beside their fields (`events.0` belongs to `events`); the rest above the form. */
function showErrors(err: ApiError): void {
  const orphans: string[] = [];
  for (const [key, messages] of Object.entries(err.errors)) {
    const field = key.split('.')[0] as Field;
    if (!fields.includes(field)) {
      orphans.push(...messages.map((m) => `${key}: ${m}`));
      continue;
    }
    const slot = byId(`error-${field}`);
    slot.textContent = [slot.textContent, ...messages].filter(Boolean).join(' ');
    const control = form.querySelector<HTMLElement>(`[name="${field}"]`);
    control?.setAttribute('aria-invalid', 'true');
    control?.setAttribute('aria-describedby', `${document.getElementById(`hint-${field}`) ? `hint-${field} ` : ''}error-${field}`);
  }
  if (orphans.length || Object.keys(err.errors).length === 0) {
    const box = byId('form-error');
    box.textContent = [err.message, ...orphans].join(' ');
    box.hidden = false;
  }
  // The first field in reading order, not in the order the server listed them.
  form.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
}

function payload(): Record<string, unknown> {
  const body: Record<string, unknown> = {
    name: input('name').value,
    url: input('url').value,
    events: eventBoxes().filter((b) => b.checked).map((b) => b.value),
    is_active: input('is_active').checked,
  };
  const format = byId<HTMLSelectElement>('format').value;
  if (format) body.format = format;
  const secret = input('secret').value.trim();
  if (secret) body.secret = secret;
  else if (document.querySelector<HTMLInputElement>('#remove-secret')?.checked) body.secret = null;
  return body;
}

function fill(w: WebhookView): void {
  input('name').value = w.name;
  input('url').value = w.url;
  for (const box of eventBoxes()) box.checked = w.events.includes(box.value as never);
  byId<HTMLSelectElement>('format').value = w.format;
  input('is_active').checked = w.is_active;
  if (w.has_secret) {
    byId('hint-secret').textContent =
      'A secret is set and requests are signed. Leave this blank to keep it, or enter or generate a new one to replace it.';
    byId('hint-secret').after(
      h('label', { class: 'check inline small' }, h('input', { type: 'checkbox', id: 'remove-secret' }), h('span', {}, 'Remove the secret (stop signing requests)')),
    );
  }
  setTitle(`Edit ${w.name}`);
}

async function load(): Promise<void> {
  if (!webhookId) return;
  form.setAttribute('aria-busy', 'true');
  try {
    fill((await api<WebhookView>('GET', `/webhooks/${webhookId}`)).data);
  } catch (err) {
    const box = byId('form-error');
    box.textContent = err instanceof ApiError && err.status === 404 ? 'This webhook no longer exists.' : `Could not load the webhook: ${(err as Error).message}`;
    box.hidden = false;
    byId<HTMLButtonElement>('save').disabled = true;
  } finally {
    form.removeAttribute('aria-busy');
  }
}

byId('generate-secret').addEventListener('click', () => {
  const secret = input('secret');
  secret.value = generateSecret();
  secret.focus();
  secret.select();
});

type Regenerated = WebhookView & { secret: string; old_secret_expires_at: string | null };

/** Regenerates the secret (keeping the old one as long as chosen) and shows the new one once. */
async function regenerateSecret(button: HTMLButtonElement): Promise<void> {
  const error = byId('error-rotate');
  error.textContent = '';
  button.disabled = true;
  try {
    const seconds = Number(byId<HTMLSelectElement>('old-secret-for').value);
    const { data } = await api<Regenerated>('POST', `/webhooks/${webhookId}/regenerate-secret`, { old_secret_valid_for_seconds: seconds });
    const shown = input('new-secret');
    shown.value = data.secret;
    byId('new-secret-note').textContent = data.old_secret_expires_at
      ? `The old secret also signs webhook-signature until ${new Date(data.old_secret_expires_at).toLocaleString()}: deploy the new one to your receiver before then.`
      : 'The old secret no longer signs anything: deploy the new one to your receiver now.';
    byId('copy-new-secret-status').textContent = '';
    byId('new-secret-box').hidden = false;
    shown.focus();
    shown.select();
  } catch (err) {
    error.textContent = err instanceof ApiError ? [err.message, ...Object.values(err.errors).flat()].join(' ') : String(err);
  } finally {
    button.disabled = false;
  }
}

const regenerate = document.querySelector<HTMLButtonElement>('#regenerate-secret');
if (regenerate && webhookId) {
  regenerate.addEventListener('click', () => void regenerateSecret(regenerate));
  byId('copy-new-secret').addEventListener('click', () => {
    const shown = input('new-secret');
    const status = byId('copy-new-secret-status');
    shown.select();
    // Said beside the button (this page has no flash region); a refused clipboard leaves it selected.
    const say = (text: string) => (status.textContent = text);
    if (!navigator.clipboard) say('Press Ctrl+C (⌘C) to copy the selected secret.');
    else navigator.clipboard.writeText(shown.value).then(() => say('Copied to the clipboard.'), () => say('Press Ctrl+C (⌘C) to copy the selected secret.'));
  });
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  clearErrors();
  const save = byId<HTMLButtonElement>('save');
  save.disabled = true;
  void (async () => {
    try {
      const body = payload();
      const { data } = webhookId ? await api<WebhookView>('PUT', `/webhooks/${webhookId}`, body) : await api<WebhookView>('POST', '/webhooks', body);
      flashNext(`${data.name} ${webhookId ? 'saved' : 'created'}.`);
      location.assign(pagesBase());
    } catch (err) {
      if (err instanceof ApiError) showErrors(err);
      else showErrors(new ApiError(0, String(err)));
      save.disabled = false;
    }
  })();
});

void load();
