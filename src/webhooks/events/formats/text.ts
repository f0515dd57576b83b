/**
 * Escapes `text` character by character and cuts it to at most `max` UTF-16 units, ending with "…"
 * when cut. Cutting happens between code points and never inside an escape such as `&amp;`, so a
 * truncated message is still valid markup and never a broken surrogate pair.
 */
export function fit(
  text: string,
  max: number,
  escapeChar: (ch: string, index: number, chars: readonly string[]) => string = (ch) => ch,
): string {
  if (max <= 0) return '';
  const chars = Array.from(text);
  const parts = chars.map((ch, index) => escapeChar(ch, index, chars));
  let total = 0;
  for (const part of parts) total += part.length;
  if (total <= max) return parts.join('');
  let out = '';
  for (const part of parts) {
    if (out.length + part.length > max - 1) break;
    out += part;
  }
  return `${out.trimEnd()}…`;
}

/** Field values from stored payloads: anything that is not a non-empty string or number reads as unknown. */
export function text(value: unknown): string | null {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value !== 'string') return null;
  const trimmed = value.trim();
  return trimmed === '' ? null : trimmed;
}
