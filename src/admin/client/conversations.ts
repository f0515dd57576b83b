/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import { io, type Socket } from 'socket.io-client';
import type { ClosedConversationData, MessageData } from '../../events.js';
import type { AckResponse, AgentResults, ConversationSummary, MessageView, TypingPush } from '../../chat/protocol.js';
import { csrfToken, signInAgain } from '../../ui/client/api.js';
import { Alerts, showUnreadCount } from './alerts.js';
import { byId, h, replace } from '../../ui/client/dom.js';
import { badge, formatTime, timeEl } from '../../ui/client/format.js';
import { ReadMarkers } from './read-markers.js';

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
const root = byId('console-root');
const searchInput = byId<HTMLInputElement>('search');
const searchHead = byId('search-head');
const tabsEl = byId('conv-tabs');
/** The signed-in agent's name (replies carry it); empty for an API-key sign-in. */
const myName = root.dataset.agentName || null;

const markers = new ReadMarkers(root.dataset.reader ?? 'key');
const alerts = new Alerts();
alerts.bind(byId<HTMLInputElement>('sound-toggle'), byId<HTMLInputElement>('desktop-toggle'), byId('alert-hint'));

const state = {
  tab: 'open' as 'open' | 'closed',
  conversations: new Map<number, ConversationSummary>(),
  selected: null as number | null,
  messages: [] as MessageView[],
  typingTimer: 0,
  /** The search shown instead of the tabs, and its results (null: no search). */
  search: null as { query: string; ids: number[] | null; error?: string } | null,
};

/** Whether the agent is reading this conversation right now (selected, tab visible). */
const looking = (id: number) => state.selected === id && document.visibilityState === 'visible';

/** A visitor's message the agent has not seen. */
function isUnread(c: ConversationSummary): boolean {
  const last = c.last_message;
  return last !== null && !last.is_from_admin && markers.isUnread(c.conversation_id, last.message_id);
}

function markSelectedRead(): void {
  const c = state.selected === null ? undefined : state.conversations.get(state.selected);
  if (c?.last_message && document.visibilityState === 'visible') markers.markRead(c.conversation_id, c.last_message.message_id);
}

function updateTitle(): void {
  showUnreadCount([...state.conversations.values()].filter(isUnread).length);
}

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

/** Who wrote a list row's last message, before its excerpt. */
function authorPrefix(last: NonNullable<ConversationSummary['last_message']>): string {
  if (!last.is_from_admin) return '';
  return last.admin_name && last.admin_name !== myName ? `${last.admin_name}: ` : myName && last.admin_name === myName ? 'You: ' : 'Agent: ';
}

/** One row of the list: a button that opens the conversation, with an unread badge. */
function conversationItem(c: ConversationSummary, withStatus = false): HTMLLIElement {
  const last = c.last_message;
  const unread = isUnread(c);
  return h(
    'li',
    {},
    h(
      'button',
      {
        type: 'button',
        class: `conv-item${unread ? ' unread' : ''}`,
        'data-conversation-id': c.conversation_id,
        'aria-current': state.selected === c.conversation_id ? 'true' : false,
        onclick: () => void select(c.conversation_id),
      },
      h(
        'span',
        { class: 'conv-top' },
        h('span', { class: 'conv-name' }, visitorLabel(c)),
        unread ? h('span', { class: 'unread-badge' }, 'New') : null,
        withStatus ? badge(c.status) : null,
        timeEl(last?.created_at ?? c.created_at),
      ),
      h('span', { class: 'conv-excerpt' }, last ? `${authorPrefix(last)}${last.content}` : 'No messages yet'),
    ),
  );
}

function renderList(): void {
  updateTitle();
  tabsEl.hidden = state.search !== null;
  searchHead.hidden = state.search === null;
  if (state.search) {
    const { query, ids, error } = state.search;
    replace(searchHead, ids === null ? `Searching for “${query}”…` : `${ids.length === 50 ? 'First 50' : ids.length} result${ids.length === 1 ? '' : 's'} for “${query}”`, ' ', h('button', { type: 'button', class: 'button small', id: 'clear-search', onclick: clearSearch }, 'Clear'));
    if (error) return void replace(listEl, h('li', { class: 'alert error' }, `Search failed: ${error}`));
    if (ids === null) return;
    if (ids.length === 0) return void replace(listEl, h('li', { class: 'empty' }, 'No conversation matches. Words match from their start: “refu” finds “refund”.'));
    replace(listEl, ids.map((id) => state.conversations.get(id)).filter((c): c is ConversationSummary => c !== undefined).map((c) => conversationItem(c, true)));
    return;
  }
  const items = ordered();
  if (items.length === 0) {
    replace(listEl, h('li', { class: 'empty' }, state.tab === 'open' ? 'No open conversations. New ones appear here live.' : 'No closed conversations.'));
    return;
  }
  replace(listEl, items.map((c) => conversationItem(c)));
}

let searchSeq = 0;
async function runSearch(query: string): Promise<void> {
  const seq = ++searchSeq;
  state.search = { query, ids: null };
  renderList();
  try {
    const found = await request('conversations:search', { query });
    if (seq !== searchSeq) return;
    for (const c of found.conversations) state.conversations.set(c.conversation_id, c);
    state.search = { query, ids: found.conversations.map((c) => c.conversation_id) };
  } catch (err) {
    if (seq !== searchSeq) return;
    state.search = { query, ids: [], error: (err as Error).message };
  }
  renderList();
}

function clearSearch(): void {
  searchSeq++;
  searchInput.value = '';
  state.search = null;
  renderList();
}

let searchTimer = 0;
searchInput.addEventListener('input', () => {
  clearTimeout(searchTimer);
  const query = searchInput.value.trim();
  if (query.length < 2) {
    if (state.search) clearSearch();
    return;
  }
  searchTimer = window.setTimeout(() => void runSearch(query), 250);
});
byId('search-form').addEventListener('submit', (e) => {
  e.preventDefault();
  clearTimeout(searchTimer);
  const query = searchInput.value.trim();
  if (query.length >= 2) void runSearch(query);
  else clearSearch();
});

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
    h('details', { class: 'history', id: 'visitor-history' }, h('summary', {}, 'Earlier conversations of this visitor'), h('ul', { id: 'history-list', class: 'history-list' }, h('li', { class: 'muted small' }, 'Loading…'))),
    h('ol', { class: 'messages', id: 'messages', 'aria-label': 'Messages' }, state.messages.map(messageEl)),
    h('p', { class: 'typing muted small', id: 'typing', hidden: true }, 'Visitor is typing…'),
    form,
  );
  scrollToEnd();
  if (open && window.matchMedia('(min-width: 821px)').matches) input.focus();
  void loadHistory(c.conversation_id);
}

/** Fills the pane's "Earlier conversations" with the visitor's other conversations. */
async function loadHistory(id: number): Promise<void> {
  const details = document.getElementById('visitor-history') as HTMLDetailsElement | null;
  const list = document.getElementById('history-list');
  if (!details || !list) return;
  try {
    const { conversations } = await request('visitor:history', { conversation_id: id });
    if (state.selected !== id) return;
    for (const c of conversations) if (!state.conversations.has(c.conversation_id)) state.conversations.set(c.conversation_id, c);
    const summary = details.querySelector('summary')!;
    summary.textContent = conversations.length === 0 ? 'No earlier conversations of this visitor' : `Earlier conversations of this visitor (${conversations.length})`;
    details.open = conversations.length > 0 && conversations.length <= 3;
    replace(list, conversations.length === 0 ? h('li', { class: 'muted small' }, 'This is their first.') : conversations.map((c) => conversationItem(c, true)));
  } catch (err) {
    replace(list, h('li', { class: 'alert error' }, `Could not load the visitor’s history: ${(err as Error).message}`));
  }
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
  markSelectedRead();
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
    const sent = await request('message:send', { conversation_id: id, content });
    input.value = '';
    appendMessage({ message_id: sent.message_id, conversation_id: id, content, is_from_admin: true, admin_name: myName, created_at: sent.created_at });
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
    // A first visit in this browser starts from "all read", rather than flagging the whole history.
    if (!markers.known) {
      for (const c of conversations) if (c.last_message) markers.markRead(c.conversation_id, c.last_message.message_id);
      markers.save();
    }
    renderList();
  } catch (err) {
    replace(listEl, h('li', { class: 'alert error' }, `Could not load conversations: ${(err as Error).message}`));
  }
}

for (const tab of document.querySelectorAll<HTMLButtonElement>('.conv-tabs .tab')) {
  tab.addEventListener('click', () => {
    state.tab = tab.dataset.status === 'closed' ? 'closed' : 'open';
    if (state.search) clearSearch();
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
  alerts.raise({ title: 'New conversation', body: visitorLabel(c), tag: `conversation-${c.conversation_id}`, onClick: () => void select(c.conversation_id) }, looking(c.conversation_id));
  renderList();
});

document.addEventListener('visibilitychange', () => {
  markSelectedRead();
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
    markSelectedRead();
  }
  if (!is_from_admin) {
    alerts.raise({ title: visitorLabel(m), body: content.slice(0, 140), tag: `conversation-${m.conversation_id}`, onClick: () => void select(m.conversation_id) }, looking(m.conversation_id));
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
