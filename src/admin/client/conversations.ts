/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import { io, type Socket } from 'socket.io-client';
import type { ClosedConversationData, MessageData } from '../../events.js';
import type { AckResponse, AgentResults, ConversationSummary, MessageView, TypingPush } from '../../chat/protocol.js';
import { csrfToken, signInAgain } from '../../ui/client/api.js';
import { byId, h, replace } from '../../ui/client/dom.js';
import { badge, formatTime, timeEl } from '../../ui/client/format.js';

/**
 * The agent console: a live list of conversations and the selected one's history, over the
 * /agent namespace with the session cookie (plus the CSRF token, so no other site can open it).
 */

interface AgentPushes {
  'conversation:started': (c: ConversationSummary) => void;
  message: (m: MessageData) => void;
  'conversation:closed': (c: ClosedConversationData) => void;
  typing: (t: TypingPush) => void;
}
type AgentRequests = { [E in keyof AgentResults]: (payload: object, ack: (response: AckResponse<AgentResults[E]>) => void) => void };
type AgentSocket = Socket<AgentPushes, AgentRequests>;

const listEl = byId<HTMLUListElement>('conversation-list');
const paneEl = byId('conversation');
const statusEl = byId('connection');
const nameInput = byId<HTMLInputElement>('agent-name');

const NAME_KEY = 'admin-agent-name';
nameInput.value = localStorage.getItem(NAME_KEY) ?? nameInput.value;
nameInput.addEventListener('change', () => localStorage.setItem(NAME_KEY, nameInput.value.trim()));

const state = {
  tab: 'open' as 'open' | 'closed',
  conversations: new Map<number, ConversationSummary>(),
  unread: new Set<number>(),
  selected: null as number | null,
  messages: [] as MessageView[],
  typingTimer: 0,
};

const socket: AgentSocket = io('/agent', { auth: { csrf: csrfToken() }, transports: ['websocket', 'polling'] });

/** Emits with an ack and unwraps it; an `ok: false` ack becomes an Error with the server's message. */
async function request<E extends keyof AgentResults>(event: E, payload: object): Promise<AgentResults[E]> {
  const emit = socket.timeout(10_000).emitWithAck as (event: E, payload: object) => Promise<AckResponse<AgentResults[E]>>;
  const ack = await emit.call(socket.timeout(10_000), event, payload);
  if (!ack.ok) throw new Error(ack.error.message);
  return ack;
}

function setConnection(text: string, kind: 'live' | 'connecting' | 'down'): void {
  statusEl.textContent = text;
  statusEl.dataset.state = kind;
}

function visitorLabel(c: { conversation_id: number; visitor_name: string | null; visitor_email: string | null }): string {
  return c.visitor_name || c.visitor_email || `Visitor #${c.conversation_id}`;
}

/** Newest activity first. */
function ordered(): ConversationSummary[] {
  const at = (c: ConversationSummary) => c.last_message?.created_at ?? c.updated_at ?? c.created_at;
  return [...state.conversations.values()].filter((c) => c.status === state.tab).sort((a, b) => at(b).localeCompare(at(a)));
}

function renderList(): void {
  const items = ordered();
  if (items.length === 0) {
    replace(listEl, h('li', { class: 'empty' }, state.tab === 'open' ? 'No open conversations. New ones appear here live.' : 'No closed conversations.'));
    return;
  }
  replace(
    listEl,
    items.map((c) => {
      const last = c.last_message;
      return h(
        'li',
        {},
        h(
          'button',
          {
            type: 'button',
            class: 'conv-item',
            'data-conversation-id': c.conversation_id,
            'aria-current': state.selected === c.conversation_id ? 'true' : false,
            onclick: () => void select(c.conversation_id),
          },
          h('span', { class: 'conv-top' }, h('span', { class: 'conv-name' }, visitorLabel(c)), state.unread.has(c.conversation_id) ? h('span', { class: 'dot', title: 'New message' }) : null, timeEl(last?.created_at ?? c.created_at)),
          h('span', { class: 'conv-excerpt' }, last ? `${last.is_from_admin ? 'You: ' : ''}${last.content}` : 'No messages yet'),
        ),
      );
    }),
  );
}

/** Visitor-supplied URLs become links only when they are web pages; anything else stays text. */
function pageLink(url: string | null): Node | string {
  if (!url) return '—';
  try {
    const parsed = new URL(url);
    if (parsed.protocol === 'http:' || parsed.protocol === 'https:') return h('a', { href: parsed.href, target: '_blank', rel: 'noopener noreferrer' }, url);
  } catch {
    /* shown as text */
  }
  return url;
}

function messageEl(m: MessageView): HTMLLIElement {
  return h(
    'li',
    { class: `msg ${m.is_from_admin ? 'from-agent' : 'from-visitor'}`, 'data-message-id': m.message_id },
    h('div', { class: 'bubble' }, m.content),
    h('div', { class: 'meta' }, m.is_from_admin ? (m.admin_name ?? 'Agent') : 'Visitor', ' · ', formatTime(m.created_at)),
  );
}

function renderPane(): void {
  const c = state.selected === null ? undefined : state.conversations.get(state.selected);
  if (!c) {
    replace(paneEl, h('p', { class: 'empty' }, 'Select a conversation to read it and reply.'));
    return;
  }
  const open = c.status === 'open';
  const input = h('textarea', { id: 'reply', rows: 3, maxlength: 5000, placeholder: open ? 'Write a reply… (Enter sends, Shift+Enter for a new line)' : 'This conversation is closed.', disabled: !open, 'aria-label': 'Reply' });
  const form = h(
    'form',
    { class: 'reply', id: 'reply-form' },
    input,
    h('div', { class: 'reply-actions' }, h('span', { class: 'muted small', id: 'reply-error', role: 'alert' }), h('button', { type: 'submit', class: 'button primary', disabled: !open }, 'Send')),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void sendReply(c.conversation_id, input);
  });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey) {
      e.preventDefault();
      form.requestSubmit();
    }
  });
  replace(
    paneEl,
    h(
      'header',
      { class: 'conv-head' },
      h('div', {}, h('h2', { id: 'visitor-name' }, visitorLabel(c)), h('span', { class: 'muted small' }, `Conversation #${c.conversation_id} · started `, timeEl(c.created_at))),
      h('div', { class: 'head-actions' }, badge(c.status), open ? h('button', { type: 'button', class: 'button', id: 'close-conversation', onclick: () => void closeConversation(c.conversation_id) }, 'Close conversation') : null),
    ),
    h(
      'dl',
      { class: 'facts visitor', id: 'visitor-details' },
      [
        ['Name', c.visitor_name ?? '—'],
        ['Email', c.visitor_email ?? '—'],
        ['Phone', c.visitor_phone ?? '—'],
        ['IP', c.visitor_ip ?? '—'],
      ].map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]),
      h('dt', {}, 'Page'),
      h('dd', { id: 'visitor-page', class: 'break' }, pageLink(c.current_url)),
    ),
    h('ol', { class: 'messages', id: 'messages', 'aria-label': 'Messages' }, state.messages.map(messageEl)),
    h('p', { class: 'typing muted small', id: 'typing', hidden: true }, 'Visitor is typing…'),
    form,
  );
  scrollToEnd();
  if (open) input.focus();
}

function scrollToEnd(): void {
  const list = document.getElementById('messages');
  if (list) list.scrollTop = list.scrollHeight;
}

function appendMessage(m: MessageView): void {
  if (state.messages.some((x) => x.message_id === m.message_id)) return;
  state.messages.push(m);
  document.getElementById('messages')?.append(messageEl(m));
  scrollToEnd();
}

async function select(id: number): Promise<void> {
  state.selected = id;
  state.unread.delete(id);
  state.messages = [];
  renderList();
  replace(paneEl, h('p', { class: 'empty' }, 'Loading…'));
  try {
    const { messages } = await request('conversation:messages', { conversation_id: id, limit: 500 });
    if (state.selected !== id) return;
    state.messages = messages;
    renderPane();
  } catch (err) {
    replace(paneEl, h('p', { class: 'alert error' }, `Could not load the conversation: ${(err as Error).message}`));
  }
}

async function sendReply(id: number, input: HTMLTextAreaElement): Promise<void> {
  const content = input.value;
  if (!content.trim()) return;
  const errorEl = byId('reply-error');
  errorEl.textContent = '';
  input.disabled = true;
  try {
    const adminName = nameInput.value.trim();
    const sent = await request('message:send', { conversation_id: id, content, ...(adminName ? { admin_name: adminName } : {}) });
    input.value = '';
    appendMessage({ message_id: sent.message_id, conversation_id: id, content, is_from_admin: true, admin_name: adminName || null, created_at: sent.created_at });
  } catch (err) {
    errorEl.textContent = `Not sent: ${(err as Error).message}`;
  } finally {
    input.disabled = state.conversations.get(id)?.status !== 'open';
    input.focus();
  }
}

async function closeConversation(id: number): Promise<void> {
  try {
    await request('conversation:close', { conversation_id: id });
    markClosed(id, new Date().toISOString());
  } catch (err) {
    byId('reply-error').textContent = `Could not close: ${(err as Error).message}`;
  }
}

function markClosed(id: number, closedAt: string): void {
  const c = state.conversations.get(id);
  if (!c) return;
  state.conversations.set(id, { ...c, status: 'closed', closed_at: closedAt });
  renderList();
  if (state.selected === id) renderPane();
}

async function loadList(): Promise<void> {
  try {
    const { conversations } = await request('conversations:list', { status: state.tab });
    for (const c of conversations) state.conversations.set(c.conversation_id, c);
    renderList();
  } catch (err) {
    replace(listEl, h('li', { class: 'alert error' }, `Could not load conversations: ${(err as Error).message}`));
  }
}

for (const tab of document.querySelectorAll<HTMLButtonElement>('.conv-tabs .tab')) {
  tab.addEventListener('click', () => {
    state.tab = tab.dataset.status === 'closed' ? 'closed' : 'open';
    for (const t of document.querySelectorAll('.conv-tabs .tab')) t.setAttribute('aria-selected', String(t === tab));
    renderList();
    void loadList();
  });
}

socket.on('connect', () => {
  setConnection('Live: new conversations and messages appear as they happen.', 'live');
  void loadList();
});
socket.on('disconnect', () => setConnection('Disconnected. Reconnecting…', 'connecting'));
socket.on('connect_error', (err) => {
  // An expired session cannot reconnect by retrying: send the agent to sign in again.
  if (err.message === 'unauthorized') signInAgain();
  setConnection(`Cannot reach the server (${err.message}). Retrying…`, 'down');
});

socket.on('conversation:started', (c) => {
  state.conversations.set(c.conversation_id, c);
  if (c.conversation_id !== state.selected) state.unread.add(c.conversation_id);
  renderList();
});

socket.on('message', (m) => {
  const known = state.conversations.get(m.conversation_id);
  const { message_id, content, is_from_admin, admin_name, created_at } = m;
  state.conversations.set(m.conversation_id, {
    ...(known ?? { ...m, closed_at: null, updated_at: created_at, created_at: created_at }),
    current_url: m.current_url ?? known?.current_url ?? null,
    updated_at: created_at,
    last_message: { message_id, content, is_from_admin, admin_name, created_at },
  } as ConversationSummary);
  if (m.conversation_id === state.selected) {
    appendMessage({ message_id, conversation_id: m.conversation_id, content, is_from_admin, admin_name, created_at });
    byId('typing').hidden = true;
    const page = document.getElementById('visitor-page');
    if (page) replace(page, pageLink(m.current_url));
  } else if (!is_from_admin) {
    state.unread.add(m.conversation_id);
  }
  renderList();
});

socket.on('conversation:closed', (c) => markClosed(c.conversation_id, c.closed_at));

socket.on('typing', (t) => {
  if (t.conversation_id !== state.selected) return;
  const el = document.getElementById('typing');
  if (!el) return;
  el.hidden = !t.is_typing;
  clearTimeout(state.typingTimer);
  if (t.is_typing) state.typingTimer = window.setTimeout(() => (el.hidden = true), 6000);
});
