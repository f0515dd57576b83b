/// <reference lib="dom" />
/**
 * Which conversations this agent has read, kept in localStorage per agent (`data-reader`): the
 * newest message id seen in each. Kept in the browser rather than a server table because reading
 * is the hottest path of the console (every click and every push while a conversation is open) and
 * would otherwise be a database write each time, for state that only steers this agent's badges.
 * The price: another browser starts from "all read" (see load()).
 */
const MAX_ENTRIES = 2000;

export class ReadMarkers {
  readonly #key: string;
  #seen: Record<string, number>;
  #known: boolean;

  constructor(reader: string, private readonly storage: Storage = localStorage) {
    this.#key = `lc-read:${reader}`;
    let parsed: unknown = null;
    try {
      parsed = JSON.parse(storage.getItem(this.#key) ?? 'null');
    } catch {
      parsed = null;
    }
    this.#known = parsed !== null && typeof parsed === 'object';
    this.#seen = this.#known ? (parsed as Record<string, number>) : {};
  }

  /** False until this agent's markers have been saved once in this browser (a first visit). */
  get known(): boolean {
    return this.#known;
  }

  /** Whether a message id in this conversation is newer than what was read. */
  isUnread(conversationId: number, messageId: number): boolean {
    return messageId > (this.#seen[conversationId] ?? 0);
  }

  /** Marks everything up to `messageId` read. */
  markRead(conversationId: number, messageId: number): void {
    if (!this.isUnread(conversationId, messageId)) return;
    this.#seen[conversationId] = Math.max(messageId, this.#seen[conversationId] ?? 0);
    const ids = Object.keys(this.#seen);
    // Oldest conversations forgotten first: ids grow with time.
    if (ids.length > MAX_ENTRIES) for (const id of ids.map(Number).sort((a, b) => a - b).slice(0, ids.length - MAX_ENTRIES)) delete this.#seen[id];
    this.save();
  }

  save(): void {
    this.#known = true;
    try {
      this.storage.setItem(this.#key, JSON.stringify(this.#seen));
    } catch {
      /* storage full or blocked: badges last for this page only */
    }
  }
}
