/**
 * The words a conversation can be found by: pure functions shared by the writers (every message,
 * every new conversation's name and email) and the search itself, so both cut text the same way.
 *
 * Terms are lowercased, stripped of accents (NFKD without combining marks: "José" is found by
 * "jose") and cut at anything that is not a letter or a digit. An email is also kept whole, so
 * "ana@example.com" finds exactly that visitor.
 */
export const TERM_MIN = 2;
export const TERM_MAX = 64;
/** A message contributes at most this many distinct terms: a pasted log must not write thousands of rows. */
export const TERMS_PER_TEXT = 200;
/** Words of a search beyond this are ignored. */
export const QUERY_TERMS_MAX = 5;

const fold = (text: string) => text.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase();

/** The distinct terms of a text, in order of first appearance. */
export function termsOf(text: string | null | undefined): string[] {
  if (!text) return [];
  const terms = new Set<string>();
  for (const word of fold(text).split(/[^\p{L}\p{N}]+/u)) {
    if (terms.size >= TERMS_PER_TEXT) break;
    const length = Array.from(word).length;
    if (length >= TERM_MIN && length <= TERM_MAX) terms.add(word);
  }
  return [...terms];
}

/** The terms of an email address: its parts, plus the whole address. */
export function emailTerms(email: string | null | undefined): string[] {
  if (!email) return [];
  const whole = fold(email.trim());
  return [...new Set([...(Array.from(whole).length <= TERM_MAX ? [whole] : []), ...termsOf(email)])];
}

/**
 * The prefixes a search asks for: every word must start some term of the conversation. A query
 * containing an email keeps it whole too ("ana@example.com" must not also match "ana@other.org").
 */
export function queryTerms(query: string): string[] {
  const words = query.trim().split(/\s+/).filter(Boolean);
  const terms: string[] = [];
  for (const word of words) {
    if (word.includes('@')) terms.push(fold(word).slice(0, TERM_MAX));
    else terms.push(...termsOf(word));
  }
  return [...new Set(terms)].filter((t) => Array.from(t).length >= TERM_MIN).slice(0, QUERY_TERMS_MAX);
}

/**
 * The half-open range of terms starting with `prefix`, for `term >= low AND term < high` on a
 * binary-collated column: byte order is code point order in UTF-8, and U+10FFFF sorts after
 * every other character, so the range holds exactly the terms with that prefix.
 */
export function prefixRange(prefix: string): [string, string] {
  return [prefix, prefix + '\u{10FFFF}'];
}
