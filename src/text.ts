/**
 * SPEC §5's text rule, applied where input enters (REST bodies and queries, socket payloads, the
 * sign-in form): every string is made well-formed Unicode (a lone surrogate becomes U+FFFD), and
 * a string holding U+0000 is refused. Lone surrogates would otherwise reach Slack and Discord,
 * which reject them; U+0000 ends a statement on SQLite and means nothing to a person.
 */

/** The message every entrance gives for a text holding U+0000. */
export const NUL_MESSAGE = 'must not contain the NUL character (U+0000)';

/** Where a U+0000 was found: object keys and array indexes from the root. */
export type TextPath = (string | number)[];

export interface CleanText<T> {
  /** The input with every string well-formed; the input itself when nothing needed changing. */
  value: T;
  /** Each string that holds U+0000; empty when there is none. */
  nul: TextPath[];
}

// Nothing a schema accepts is nested this deep; deeper input is the schema's to refuse.
const MAX_DEPTH = 32;

// ES2024 methods, in Node since 20; the project's lib setting stops at ES2023.
declare global {
  interface String {
    isWellFormed(): boolean;
    toWellFormed(): string;
  }
}

/** `text` with every lone surrogate replaced by U+FFFD. */
export function wellFormed(text: string): string {
  return text.isWellFormed() ? text : text.toWellFormed();
}

/**
 * Walks a JSON-like value (strings, arrays, plain objects) and returns it with every string
 * well-formed, and the paths of the strings holding U+0000. Pure: the input is never changed,
 * and an unchanged branch is returned as it was. Keys are kept as given (`__proto__` included,
 * as an own property), so the schema that runs next sees the same shape.
 *
 * @example cleanText({ name: 'a\ud83d', url: 'b\u0000' }) // { value: { name: 'a\ufffd', url: 'b\u0000' }, nul: [['url']] }
 */
export function cleanText<T>(input: T): CleanText<T> {
  const nul: TextPath[] = [];
  const value = walk(input, [], nul, 0) as T;
  return { value, nul };
}

function walk(value: unknown, path: TextPath, nul: TextPath[], depth: number): unknown {
  if (typeof value === 'string') {
    if (value.includes('\u0000')) nul.push(path);
    return wellFormed(value);
  }
  if (typeof value !== 'object' || value === null || depth >= MAX_DEPTH) return value;
  if (Array.isArray(value)) {
    let changed = false;
    const out = value.map((item: unknown, index) => {
      const cleaned = walk(item, [...path, index], nul, depth + 1);
      changed ||= cleaned !== item;
      return cleaned;
    });
    return changed ? out : value;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value; // Buffers, Dates: not text
  let out: Record<string, unknown> | null = null;
  for (const key of Object.keys(value)) {
    const item = (value as Record<string, unknown>)[key];
    const cleaned = walk(item, [...path, key], nul, depth + 1);
    if (cleaned === item) continue;
    out ??= copy(value as Record<string, unknown>);
    // defineProperty, not assignment: a `__proto__` key must stay an own property.
    Object.defineProperty(out, key, { value: cleaned, writable: true, enumerable: true, configurable: true });
  }
  return out ?? value;
}

function copy(value: Record<string, unknown>): Record<string, unknown> {
  const out = Object.create(Object.getPrototypeOf(value)) as Record<string, unknown>;
  for (const key of Object.keys(value)) {
    Object.defineProperty(out, key, { value: value[key], writable: true, enumerable: true, configurable: true });
  }
  return out;
}

/** `["name"]`, `["events", 2]` → `name`, `events[2]`: how field errors name a place. */
export function describePath(path: TextPath): string {
  const [first, ...rest] = path;
  return (first === undefined ? '' : String(first)) + rest.map((p) => `[${String(p)}]`).join('');
}
