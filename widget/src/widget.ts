import { io, type Socket } from 'socket.io-client';
import type { WidgetOptions } from './options.js';
import type { Ack, ChatMessage, ClientToServerEvents, ServerToClientEvents, Session } from './protocol.js';
import { Outbox, type OutboxItem } from './outbox.js';
import { WidgetStore, type Entry, type SavedState, type StorageLike } from './history.js';
import { WidgetView } from './view.js';
import { newClientId } from './client-id.js';

type WidgetSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** How long an emit waits for its ack before it counts as lost and is sent again (same client_message_id). */
const ACK_TIMEOUT_MS = 10_000;
/** Typing starts are sent at most this often; this long without a keystroke sends a stop. */
const TYPING_THROTTLE_MS = 2_500;
const TYPING_IDLE_MS = 3_000;
/** An agent's typing line disappears if no update follows within this time. */
const AGENT_TYPING_TTL_MS = 8_000;
/** After the server itself disconnects us (restart, deploy), try again after about this long. */
const SERVER_DISCONNECT_RETRY_MS = 2_000;

const ENDED_NOTE = 'This conversation has ended. Write again to start a new one.';
const OFFLINE_NOTICE = 'You are offline. Reconnecting… Messages you write now will be sent when the connection is back.';

/**
 * The visitor's side of the chat: wires the view to the `/widget` socket, keeps the history and
 * the unsent messages in storage, and replays the outbox in order after every reconnect.
 */
export class ChatWidget {
  private readonly store: WidgetStore;
  private readonly view: WidgetView;
  private readonly outbox: Outbox;
  private state: SavedState;
  private socket: WidgetSocket | null = null;
  private typingSentAt = 0;
  private typingStop: ReturnType<typeof setTimeout> | undefined;
  private agentTypingClear: ReturnType<typeof setTimeout> | undefined;
  private noteCounter = 0;

  constructor(host: HTMLElement, private readonly options: WidgetOptions, storage: StorageLike | null) {
    this.store = new WidgetStore(storage, options.server);
    this.state = this.store.load();
    this.view = new WidgetView(host, options, {
      opened: () => this.connect(),
      introduce: (profile) => this.introduce(profile),
      send: (text) => this.send(text),
      typing: () => this.typing(),
      retry: (key) => this.retry(key),
      endChat: () => this.endChat(),
    });
    this.outbox = new Outbox((item) => this.emit(item), {
      settled: (item, ack) => this.settled(item, ack),
      changed: (items) => {
        this.state.outbox = [...items];
        this.save();
      },
    }, this.state.outbox);
    this.refresh();
    // A first-time visitor costs the server nothing until they open the panel; a returning one
    // reconnects at once to resume their conversation and receive replies.
    if (this.store.token || this.state.outbox.length) this.connect();
  }

  open(): void {
    this.view.setOpen(true);
  }

  close(): void {
    this.view.setOpen(false);
  }

  private connect(): void {
    if (this.socket) return;
    const socket: WidgetSocket = io(`${this.options.server}/widget`, {
      // A function, so every reconnect presents the latest token.
      auth: (cb) => cb(this.store.token ? { token: this.store.token } : {}),
      reconnectionDelay: 1_000,
      reconnectionDelayMax: 5_000,
    });
    this.socket = socket;
    socket.on('connect', () => this.view.setOffline(''));
    socket.on('session', (session) => this.resume(session));
    socket.on('message', (message) => this.receive(message));
    socket.on('conversation:closed', () => this.conversationEnded());
    socket.on('typing', ({ is_typing, admin_name }) => this.agentTyping(is_typing ? admin_name || 'Agent' : null));
    socket.on('connect_error', () => this.view.setOffline(OFFLINE_NOTICE));
    socket.on('disconnect', (reason) => {
      void this.outbox.setOnline(false);
      this.view.setOffline(OFFLINE_NOTICE);
      this.agentTyping(null);
      // Socket.IO only reconnects by itself after network failures, not when the server hung up.
      if (reason === 'io server disconnect') {
        setTimeout(() => socket.connect(), SERVER_DISCONNECT_RETRY_MS * (0.5 + Math.random()));
      }
    });
  }

  /** `session` follows every (re)connect: remember the token, then replay what is waiting. */
  private resume(session: Session): void {
    const previous = this.store.token;
    if (previous && previous !== session.visitor_token) {
      // The server did not know our token (expired, other database): a new visitor, a clean slate,
      // but what the visitor typed and has not been sent yet still goes out.
      const waiting = new Set(this.state.outbox.map((item) => `l:${item.id}`));
      this.state = { ...this.state, conversationId: null, entries: this.state.entries.filter((e) => waiting.has(e.key)) };
    }
    this.store.token = session.visitor_token;
    if (this.state.conversationId !== null && session.conversation_id === null) {
      this.conversationEnded(); // closed while this page was away
    }
    this.state.conversationId = session.conversation_id;
    this.save();
    this.refresh();
    void this.outbox.setOnline(true);
  }

  private receive(message: ChatMessage): void {
    this.state.conversationId = message.conversation_id;
    const entries = this.state.entries;
    if (entries.some((e) => e.messageId === message.message_id)) return;
    if (message.is_from_admin) {
      this.agentTyping(null);
      entries.push({ key: `m:${message.message_id}`, kind: 'agent', content: message.content, author: message.admin_name, messageId: message.message_id, at: message.created_at });
      this.view.addUnread(1);
    } else {
      // Our own message seen from another tab; this tab's copy may still await its ack.
      if (entries.some((e) => e.kind === 'visitor' && e.status === 'pending' && e.content === message.content)) return;
      entries.push({ key: `m:${message.message_id}`, kind: 'visitor', content: message.content, messageId: message.message_id, at: message.created_at, status: 'sent' });
    }
    this.save();
    this.refresh();
  }

  private introduce(profile: { name: string; email: string }): void {
    this.state.introduced = true;
    const payload: Record<string, unknown> = {};
    const url = currentUrl();
    if (url) payload.current_url = url;
    if (profile.name) payload.name = profile.name;
    if (profile.email) payload.email = profile.email;
    this.connect();
    void this.outbox.enqueue({ id: newClientId(), event: 'conversation:start', payload });
    this.refresh();
  }

  private send(content: string): void {
    this.state.introduced = true;
    const id = newClientId();
    this.state.entries.push({ key: `l:${id}`, kind: 'visitor', content, status: 'pending' });
    this.stopTyping();
    this.refresh();
    this.connect();
    void this.outbox.enqueue({ id, event: 'message:send', payload: { content, current_url: currentUrl(), client_message_id: id } });
  }

  private retry(key: string): void {
    const entry = this.state.entries.find((e) => e.key === key);
    if (!entry || entry.status !== 'failed') return;
    entry.status = 'pending';
    delete entry.error;
    this.refresh();
    // The same id: if an earlier try was stored after all, the server answers with that message.
    const id = key.slice(2);
    void this.outbox.enqueue({ id, event: 'message:send', payload: { content: entry.content, current_url: currentUrl(), client_message_id: id } });
  }

  private emit(item: OutboxItem): Promise<Ack<Record<string, unknown>>> {
    return new Promise((resolve, reject) => {
      const socket = this.socket;
      // Emitting while disconnected would let Socket.IO buffer it out of our order; wait instead.
      if (!socket?.connected) return reject(new Error('offline'));
      // The outbox holds two event kinds with loose payloads; the typed map cannot express that union.
      const emitter = socket.timeout(ACK_TIMEOUT_MS) as unknown as {
        emit(event: string, payload: unknown, ack: (err: Error | null, ack: Ack<Record<string, unknown>>) => void): void;
      };
      emitter.emit(item.event, withClientId(item), (err, ack) => (err ? reject(err) : resolve(ack)));
    });
  }

  private settled(item: OutboxItem, ack: Ack<Record<string, unknown>>): void {
    if (item.event === 'conversation:start') {
      if (ack.ok) {
        if (typeof ack.conversation_id === 'number') this.state.conversationId = ack.conversation_id;
        if (typeof ack.visitor_token === 'string') this.store.token = ack.visitor_token;
      } else {
        this.note(`We could not start the chat: ${ack.error.message}`);
      }
    } else {
      const entry = this.state.entries.find((e) => e.key === `l:${item.id}`);
      if (entry && ack.ok) {
        entry.status = 'sent';
        if (typeof ack.message_id === 'number') entry.messageId = ack.message_id;
        if (typeof ack.created_at === 'string') entry.at = ack.created_at;
        if (typeof ack.conversation_id === 'number') this.state.conversationId = ack.conversation_id;
      } else if (entry && !ack.ok) {
        entry.status = 'failed';
        entry.error = ack.error.message;
        this.view.announce(`Message not sent: ${ack.error.message}`);
      }
    }
    this.save();
    this.refresh();
  }

  private typing(): void {
    if (!this.socket?.connected || this.state.conversationId === null) return;
    const now = Date.now();
    if (now - this.typingSentAt > TYPING_THROTTLE_MS) {
      this.typingSentAt = now;
      this.socket.emit('typing', { is_typing: true }, () => {});
    }
    clearTimeout(this.typingStop);
    this.typingStop = setTimeout(() => this.stopTyping(), TYPING_IDLE_MS);
  }

  private stopTyping(): void {
    clearTimeout(this.typingStop);
    if (!this.typingSentAt) return;
    this.typingSentAt = 0;
    if (this.socket?.connected) this.socket.emit('typing', { is_typing: false }, () => {});
  }

  private agentTyping(name: string | null): void {
    clearTimeout(this.agentTypingClear);
    this.view.setTyping(name);
    if (name !== null) this.agentTypingClear = setTimeout(() => this.view.setTyping(null), AGENT_TYPING_TTL_MS);
  }

  private endChat(): void {
    const socket = this.socket;
    if (!socket?.connected) {
      this.view.announce('You are offline; try again when the connection is back.');
      return;
    }
    socket.emit('conversation:close', {}, (ack) => {
      if (ack.ok) this.conversationEnded();
      else this.view.announce(`Could not end the chat: ${ack.error.message}`);
    });
  }

  /** The server's push and our own ack can both report the end; only the first leaves a note. */
  private conversationEnded(): void {
    this.agentTyping(null);
    if (this.state.conversationId === null) return;
    this.state.conversationId = null;
    this.note(ENDED_NOTE);
    this.save();
    this.refresh();
  }

  private note(content: string): void {
    this.state.entries.push({ key: `n:${Date.now().toString(36)}${this.noteCounter++}`, kind: 'note', content });
  }

  private save(): void {
    this.store.save(this.state);
  }

  private refresh(): void {
    const s = this.state;
    this.view.render(s.entries);
    this.view.showPrechat(this.options.prechat && !s.introduced && s.conversationId === null && s.entries.length === 0);
    this.view.setConversationOpen(s.conversationId !== null);
  }
}

/** The page the visitor is on, when the server can accept it (http(s), at most 2048 characters). */
function currentUrl(): string | undefined {
  const href = location.href;
  return /^https?:/.test(href) && href.length <= 2048 ? href : undefined;
}

/** Items saved by an older widget carry no `client_message_id`; their local id serves. */
function withClientId(item: OutboxItem): Record<string, unknown> {
  if (item.event !== 'message:send' || typeof item.payload.client_message_id === 'string') return item.payload;
  return item.id.length <= 64 ? { ...item.payload, client_message_id: item.id } : item.payload;
}

export type { Entry };
