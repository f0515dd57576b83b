import type { OutboxItem } from './outbox.js';

/** One line of the message list, as shown and as kept across reloads. */
export interface Entry {
  /** Stable key: `l:<local id>` for what this visitor typed, `m:<message id>` for agent replies, `n:<n>` for notes. */
  key: string;
  kind: 'visitor' | 'agent' | 'note';
  content: string;
  /** Agent's display name. */
  author?: string | null;
  /** Server message id once known. */
  messageId?: number;
  /** ISO time the server stored it. */
  at?: string;
  /** Visitor messages only. */
  status?: 'pending' | 'sent' | 'failed';
  /** Why a visitor message was refused. */
  error?: string;
}

/** What the widget remembers between page loads, per chat server. */
export interface SavedState {
  /** The open conversation the server last confirmed. */
  conversationId: number | null;
  /** The pre-chat form was answered (or not needed) for this visitor. */
  introduced: boolean;
  entries: Entry[];
  outbox: OutboxItem[];
}

/** Enough history to continue a conversation after a reload, small enough for localStorage. */
export const MAX_ENTRIES = 200;

export const emptyState = (): SavedState => ({ conversationId: null, introduced: false, entries: [], outbox: [] });

/** The subset of Web Storage the widget uses (a Map-backed fake works in tests). */
export interface StorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/**
 * The visitor token and the saved state in localStorage, under keys that name the server, so one
 * page talking to two chat servers keeps two identities. Storage that is full, disabled or
 * missing (private mode, sandboxed iframes) degrades to memory: the chat still works, it just
 * starts afresh after a reload.
 */
export class WidgetStore {
  readonly tokenKey: string;
  readonly stateKey: string;
  private readonly memory = new Map<string, string>();

  constructor(private readonly storage: StorageLike | null, server: string) {
    this.tokenKey = `livechat:${server}:token`;
    this.stateKey = `livechat:${server}:state`;
  }

  get token(): string | null {
    return this.read(this.tokenKey);
  }

  set token(value: string | null) {
    this.write(this.tokenKey, value);
  }

  load(): SavedState {
    const raw = this.read(this.stateKey);
    if (!raw) return emptyState();
    try {
      const parsed = JSON.parse(raw) as Partial<SavedState>;
      return {
        conversationId: typeof parsed.conversationId === 'number' ? parsed.conversationId : null,
        introduced: parsed.introduced === true,
        entries: Array.isArray(parsed.entries) ? parsed.entries.filter(isEntry) : [],
        outbox: Array.isArray(parsed.outbox) ? parsed.outbox.filter(isOutboxItem) : [],
      };
    } catch {
      return emptyState();
    }
  }

  save(state: SavedState): void {
    // Unsent messages must survive even when the history is trimmed.
    const keep = new Set(state.outbox.map((item) => `l:${item.id}`));
    const overflow = state.entries.length - MAX_ENTRIES;
    const entries = overflow > 0 ? state.entries.filter((e, i) => i >= overflow || keep.has(e.key)) : state.entries;
    this.write(this.stateKey, JSON.stringify({ ...state, entries }));
  }

  clear(): void {
    this.write(this.stateKey, null);
  }

  private read(key: string): string | null {
    // This page's own writes first: they are current even when storage refused them.
    const mine = this.memory.get(key);
    if (mine !== undefined) return mine;
    try {
      return this.storage?.getItem(key) ?? null;
    } catch {
      return null; // Blocked storage.
    }
  }

  private write(key: string, value: string | null): void {
    if (value === null) this.memory.delete(key);
    else this.memory.set(key, value);
    try {
      if (value === null) this.storage?.removeItem(key);
      else this.storage?.setItem(key, value);
    } catch {
      // Quota exceeded or blocked: the in-memory copy still serves this page.
    }
  }
}

function isEntry(value: unknown): value is Entry {
  const e = value as Entry;
  return !!e && typeof e.key === 'string' && typeof e.content === 'string' && (e.kind === 'visitor' || e.kind === 'agent' || e.kind === 'note');
}

function isOutboxItem(value: unknown): value is OutboxItem {
  const i = value as OutboxItem;
  return !!i && typeof i.id === 'string' && (i.event === 'conversation:start' || i.event === 'message:send') && !!i.payload && typeof i.payload === 'object';
}
