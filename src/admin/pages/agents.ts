import type { Agent } from '../../auth/agents.js';
import { PASSWORD_MIN } from '../../auth/passwords.js';
import { html, type SafeHtml } from '../../ui/html.js';

export interface AgentsPageState {
  agents: readonly Agent[];
  /** The signed-in account, which cannot remove itself (null for an API-key admin). */
  selfId: number | null;
  csrfToken: string;
  /** The add form's values after a failed try (never the password) and its errors by field. */
  values?: { name?: string; email?: string; role?: string };
  errors?: Partial<Record<'name' | 'email' | 'password' | 'role', string>>;
  notice?: string;
}

const when = (d: Date) => html`<time datetime="${d.toISOString()}">${d.toISOString().slice(0, 10)}</time>`;

function field(id: 'name' | 'email' | 'password', label: string, type: string, state: AgentsPageState, extra: SafeHtml | string = ''): SafeHtml {
  const error = state.errors?.[id];
  const value = id === 'password' ? '' : (state.values?.[id] ?? '');
  return html`<div class="field">
  <label for="agent-${id}">${label}</label>
  <input id="agent-${id}" name="${id}" type="${type}" required value="${value}" ${extra}
    ${error ? html`aria-invalid="true" aria-describedby="agent-${id}-error"` : ''}>
  ${error ? html`<p class="field-error" id="agent-${id}-error">${error}</p>` : ''}
</div>`;
}

/** Admin → Agents: who may sign in, and a form to add someone. Server-rendered, no script needed. */
export function agentsBody(state: AgentsPageState): SafeHtml {
  const role = state.values?.role === 'admin' ? 'admin' : 'agent';
  return html`<div class="page-head"><div>
  <h1>Agents</h1>
  <p class="muted">People who sign in with email and password. Agents answer conversations; admins also manage webhooks and agents.</p>
</div></div>
<div id="flash" role="status">${state.notice ? html`<p class="alert success">${state.notice}</p>` : ''}</div>
<div class="card agents-card">
  ${state.agents.length === 0
    ? html`<p class="empty">No agents yet. Everyone signs in with the API key until you add some.</p>`
    : html`<ul class="agent-list" aria-label="Agents">${state.agents.map(
        (a) => html`<li class="agent-row" data-agent-id="${a.id}">
  <div class="agent-who"><span class="strong">${a.name}</span> <span class="badge badge-${a.role}">${a.role}</span>
    <span class="muted small block break">${a.email} · added ${when(a.created_at)}</span></div>
  ${a.id === state.selfId
    ? html`<span class="muted small">You</span>`
    : html`<form method="post" action="/admin/agents/${a.id}/delete" class="agent-remove">
    <input type="hidden" name="_csrf" value="${state.csrfToken}">
    <button type="submit" class="button small danger-text" aria-label="Remove ${a.name}">Remove</button>
  </form>`}
</li>`,
      )}</ul>`}
</div>
<form class="card form agent-form" method="post" action="/admin/agents" novalidate>
  <h2>Add an agent</h2>
  <input type="hidden" name="_csrf" value="${state.csrfToken}">
  ${field('name', 'Name (shown to visitors)', 'text', state, html`maxlength="100" autocomplete="off"`)}
  ${field('email', 'Email (signs in with it)', 'email', state, html`maxlength="255" autocomplete="off"`)}
  ${field('password', `Password (at least ${PASSWORD_MIN} characters)`, 'password', state, html`autocomplete="new-password"`)}
  <fieldset class="field">
    <legend>Role</legend>
    <label class="check"><input type="radio" name="role" value="agent"${role === 'agent' ? html` checked` : ''}><span><strong>Agent</strong><span class="muted small">Conversations only</span></span></label>
    <label class="check"><input type="radio" name="role" value="admin"${role === 'admin' ? html` checked` : ''}><span><strong>Admin</strong><span class="muted small">Conversations, webhooks and agents</span></span></label>
    ${state.errors?.role ? html`<p class="field-error">${state.errors.role}</p>` : ''}
  </fieldset>
  <div class="actions"><button type="submit" class="button primary">Add agent</button></div>
</form>`;
}
