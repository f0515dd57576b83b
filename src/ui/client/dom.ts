/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * The only way the admin client makes DOM: text goes in as text nodes, attributes through
 * setAttribute. Nothing here accepts markup, so a visitor's `<img onerror>` can only ever be text.
 */
export type Child = Node | string | number | null | undefined | false | readonly Child[];
type Handler = (event: Event) => void;
export type Props = Record<string, string | number | boolean | Handler | null | undefined>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === null || value === undefined || value === false) continue;
    if (typeof value === 'function') el.addEventListener(name.replace(/^on/, '').toLowerCase(), value);
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  append(el, ...children);
  return el;
}

export function append(parent: Node, ...children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, ...(child as Child[]));
    else parent.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces an element's content. */
export function replace(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, ...children);
}

/** The element with this id; a missing one is a bug in the page shell, so it throws. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} missing from the page`);
  return el as T;
}

/** Shows a short message in the page's #flash region. */
export function flash(message: string, kind: 'ok' | 'error' = 'ok'): void {
  const region = document.getElementById('flash');
  if (!region) return;
  replace(region, h('p', { class: `alert ${kind === 'ok' ? 'success' : 'error'}` }, message));
}

const FLASH_KEY = 'admin-flash';

/** A message for the next page this tab opens (e.g. "Webhook created" after the form redirects). */
export function flashNext(message: string): void {
  sessionStorage.setItem(FLASH_KEY, message);
}

export function showPendingFlash(): void {
  const message = sessionStorage.getItem(FLASH_KEY);
  if (message === null) return;
  sessionStorage.removeItem(FLASH_KEY);
  flash(message);
}
