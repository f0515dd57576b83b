import { el, icon } from './dom.js';
import { css } from './styles.js';
import { textColorOn } from './color.js';
import { DEFAULT_COLOR, type WidgetOptions } from './options.js';
import { MAX_MESSAGE_LENGTH } from './protocol.js';
import type { Entry } from './history.js';

/** What the visitor did, reported to the controller. */
export interface ViewActions {
  opened(): void;
  introduce(profile: { name: string; email: string }): void;
  send(text: string): void;
  typing(): void;
  retry(key: string): void;
  endChat(): void;
}

const CHAT_ICON = 'M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2zm3 6v2h10v-2zm0-3v2h10V7z';
const SEND_ICON = 'M3 20.5 21 12 3 3.5V10l12 2-12 2z';

/**
 * The widget's DOM inside a shadow root: launcher, panel, pre-chat form, message log, typing
 * line, composer. It holds no chat state; the controller calls `render` and the setters.
 */
export class WidgetView {
  private readonly shadow: ShadowRoot;
  private readonly root: HTMLDivElement;
  private readonly launcher: HTMLButtonElement;
  private readonly badge: HTMLSpanElement;
  private readonly panel: HTMLElement;
  private readonly endButton: HTMLButtonElement;
  private readonly offline: HTMLParagraphElement;
  private readonly prechat: HTMLFormElement;
  private readonly log: HTMLDivElement;
  private readonly typingLine: HTMLParagraphElement;
  private readonly composer: HTMLFormElement;
  private readonly input: HTMLTextAreaElement;
  private readonly announcer: HTMLParagraphElement;
  private readonly rendered = new Map<string, { node: HTMLElement; signature: string }>();
  private unread = 0;
  private open = false;

  constructor(host: HTMLElement, private readonly options: WidgetOptions, private readonly actions: ViewActions) {
    // Open, so tests and assistive tooling can reach in; isolation comes from the shadow boundary itself.
    const shadow = (this.shadow = host.attachShadow({ mode: 'open' }));
    adoptStyles(shadow, css);

    this.badge = el('span', { class: 'badge', 'aria-hidden': 'true', hidden: true });
    this.launcher = el('button', { type: 'button', class: 'launcher', 'aria-expanded': 'false', 'aria-controls': 'lc-panel' }, icon(CHAT_ICON), this.badge);
    this.endButton = el('button', { type: 'button', class: 'icon', hidden: true }, 'End chat');
    const closeButton = el('button', { type: 'button', class: 'icon close', 'aria-label': 'Close chat' }, '×');
    this.offline = el('p', { class: 'offline', role: 'status' });

    const nameInput = el('input', { name: 'name', autocomplete: 'name', maxlength: '255' });
    const emailInput = el('input', { name: 'email', type: 'email', autocomplete: 'email', maxlength: '255' });
    this.prechat = el(
      'form',
      { class: 'prechat', hidden: true, 'aria-label': 'Before we start' },
      el('p', {}, 'Tell us who you are so we can follow up. Both fields are optional.'),
      el('label', {}, 'Name', nameInput),
      el('label', {}, 'Email', emailInput),
      el('button', { type: 'submit', class: 'primary' }, 'Start chat'),
    );

    this.log = el('div', { class: 'log', role: 'log', 'aria-live': 'polite', 'aria-relevant': 'additions', 'aria-label': 'Messages', tabindex: '0' });
    this.typingLine = el('p', { class: 'typing', 'aria-live': 'polite' });
    this.input = el('textarea', { id: 'lc-input', rows: '1', maxlength: String(MAX_MESSAGE_LENGTH), placeholder: 'Write a message…' });
    this.composer = el(
      'form',
      { class: 'composer' },
      el('label', { class: 'sr', for: 'lc-input' }, 'Message'),
      this.input,
      el('button', { type: 'submit', class: 'primary', 'aria-label': 'Send message' }, icon(SEND_ICON)),
    );
    this.announcer = el('p', { class: 'sr', role: 'status' });

    this.panel = el(
      'section',
      { id: 'lc-panel', class: 'panel', role: 'dialog', 'aria-labelledby': 'lc-title', hidden: true },
      el('header', {}, el('h2', { id: 'lc-title' }, options.title), this.endButton, closeButton),
      this.offline,
      this.prechat,
      this.log,
      this.typingLine,
      this.composer,
      this.announcer,
    );
    this.root = el('div', { class: 'lc' }, this.panel, this.launcher);
    shadow.append(this.root);
    this.applyColor(options.color);
    this.setUnread(0);

    this.launcher.addEventListener('click', () => this.setOpen(!this.open));
    closeButton.addEventListener('click', () => this.setOpen(false));
    this.endButton.addEventListener('click', () => actions.endChat());
    this.root.addEventListener('keydown', (event) => {
      if (event.key === 'Escape' && this.open) {
        event.stopPropagation();
        this.setOpen(false);
      }
    });
    this.prechat.addEventListener('submit', (event) => {
      event.preventDefault();
      if (!this.prechat.reportValidity()) return;
      actions.introduce({ name: nameInput.value.trim(), email: emailInput.value.trim() });
    });
    this.composer.addEventListener('submit', (event) => {
      event.preventDefault();
      this.submitMessage();
    });
    this.input.addEventListener('keydown', (event) => {
      // Enter sends, Shift+Enter is a new line; never while an IME is composing.
      if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this.submitMessage();
      }
    });
    this.input.addEventListener('input', () => {
      this.input.style.height = 'auto';
      this.input.style.height = `${this.input.scrollHeight}px`;
      if (this.input.value.trim()) actions.typing();
    });
    this.log.addEventListener('click', (event) => {
      const target = event.target as HTMLElement;
      const key = target.closest('[data-key]')?.getAttribute('data-key');
      if (target.classList.contains('retry') && key) actions.retry(key);
    });
  }

  get isOpen(): boolean {
    return this.open;
  }

  /** Opens or closes the panel; opening focuses the first field, closing returns focus to the launcher. */
  setOpen(open: boolean): void {
    if (open === this.open) return;
    this.open = open;
    this.panel.hidden = !open;
    // On a phone the open panel fills the screen and the launcher would lie over Send: CSS hides it.
    this.root.classList.toggle('open', open);
    this.launcher.setAttribute('aria-expanded', String(open));
    if (open) {
      this.setUnread(0);
      this.scrollToEnd();
      const first = this.prechat.hidden ? this.input : this.prechat.querySelector('input');
      first?.focus();
      this.actions.opened();
    } else {
      this.launcher.focus();
    }
  }

  showPrechat(show: boolean): void {
    const active = this.shadow.activeElement;
    const hadFocus = !!active && this.prechat.contains(active);
    this.prechat.hidden = !show;
    this.log.hidden = show;
    this.typingLine.hidden = show;
    this.composer.hidden = show;
    if (!show && hadFocus) this.input.focus();
  }

  setConversationOpen(open: boolean): void {
    this.endButton.hidden = !open;
  }

  /** '' when connected; otherwise the notice shown (and announced) at the top of the panel. */
  setOffline(text: string): void {
    if (this.offline.textContent !== text) this.offline.textContent = text;
  }

  /** Shows "<name> is typing…", or clears the line with null. */
  setTyping(name: string | null): void {
    this.typingLine.textContent = name === null ? '' : `${name} is typing…`;
  }

  /** Counts agent replies that arrived while the panel was closed. */
  addUnread(count: number): void {
    if (!this.open) this.setUnread(this.unread + count);
  }

  /** Reads a short status to screen-reader users (e.g. a message that could not be sent). */
  announce(text: string): void {
    this.announcer.textContent = '';
    // A fresh text node after clearing makes screen readers announce a repeat of the same text.
    setTimeout(() => (this.announcer.textContent = text), 50);
  }

  /** Brings the message list in line with `entries`, touching only what changed. */
  render(entries: readonly Entry[]): void {
    const atEnd = this.log.scrollHeight - this.log.scrollTop - this.log.clientHeight < 40;
    const keys = new Set(entries.map((e) => e.key));
    for (const [key, { node }] of this.rendered) {
      if (!keys.has(key)) {
        node.remove();
        this.rendered.delete(key);
      }
    }
    let previous: HTMLElement | null = null;
    let appended = false;
    for (const entry of entries) {
      const signature = JSON.stringify(entry);
      let current = this.rendered.get(entry.key);
      if (!current || current.signature !== signature) {
        const node = renderEntry(entry);
        if (current) current.node.replaceWith(node);
        else appended = true;
        current = { node, signature };
        this.rendered.set(entry.key, current);
      }
      const expected: ChildNode | null = previous ? previous.nextSibling : this.log.firstChild;
      if (expected !== current.node) this.log.insertBefore(current.node, expected);
      previous = current.node;
    }
    if (atEnd || appended) this.scrollToEnd();
  }

  private submitMessage(): void {
    const text = this.input.value.trim();
    if (!text) return;
    this.input.value = '';
    this.input.style.height = 'auto';
    this.actions.send(text.slice(0, MAX_MESSAGE_LENGTH));
  }

  private setUnread(count: number): void {
    this.unread = count;
    this.badge.textContent = count > 99 ? '99+' : String(count);
    this.badge.hidden = count === 0;
    const unread = count === 0 ? '' : `, ${count} unread ${count === 1 ? 'message' : 'messages'}`;
    this.launcher.setAttribute('aria-label', `${this.options.title}${unread}`);
  }

  private scrollToEnd(): void {
    this.log.scrollTop = this.log.scrollHeight;
  }

  /** Uses the site's colour when the browser understands it, with readable text on top. */
  private applyColor(color: string): void {
    const accent = typeof CSS !== 'undefined' && CSS.supports?.('color', color) ? color : DEFAULT_COLOR;
    this.root.style.setProperty('--lc-accent', accent);
    this.root.style.color = accent;
    const computed = getComputedStyle(this.root).color;
    this.root.style.removeProperty('color');
    this.root.style.setProperty('--lc-on-accent', textColorOn(computed));
  }
}

function renderEntry(entry: Entry): HTMLElement {
  if (entry.kind === 'note') return el('div', { class: 'note', 'data-key': entry.key }, entry.content);
  const mine = entry.kind === 'visitor';
  const status = entry.status ?? 'sent';
  const node = el('div', { class: `msg ${entry.kind} ${mine ? status : ''}`, 'data-key': entry.key });
  node.append(mine ? el('span', { class: 'sr' }, 'You:') : el('span', { class: 'who' }, entry.author || 'Agent'));
  node.append(el('p', { class: 'text' }, entry.content));
  if (mine && status === 'pending') {
    node.append(el('span', { class: 'meta' }, 'sending…'));
  } else if (mine && status === 'failed') {
    node.append(el('span', { class: 'meta' }, `Not sent: ${entry.error || 'error'}`), el('button', { type: 'button', class: 'retry' }, 'Retry'));
  } else if (entry.at) {
    node.append(el('span', { class: 'meta' }, el('time', { datetime: entry.at }, clock(entry.at))));
  }
  return node;
}

function clock(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? '' : date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

/**
 * Constructable stylesheets need no `style-src 'unsafe-inline'`, so the widget works on pages
 * with a strict Content-Security-Policy; older browsers get a <style> element.
 */
function adoptStyles(shadow: ShadowRoot, text: string): void {
  try {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(text);
    shadow.adoptedStyleSheets = [sheet];
  } catch {
    shadow.append(el('style', {}, text));
  }
}
