/**
 * Hostile values for table-driven fuzzing: wrong types, huge strings, deep nesting,
 * prototype-pollution keys, unicode edge cases and SQL meta-characters. Everything is expressed
 * as JSON text where it matters (a `__proto__` key only survives as text), and drawn with a seeded
 * PRNG so a failing case can be replayed from its seed and index.
 */

/** mulberry32: small, fast, and the same sequence for the same seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const pick = <T>(rand: () => number, list: readonly T[]): T => list[Math.floor(rand() * list.length)]!;

/** A JSON value written as text, so keys like `__proto__` reach the server as sent. */
export type JsonText = string;
const j = (value: unknown): JsonText => JSON.stringify(value);

export const sqlStrings = [
  "' OR '1'='1",
  "'; DROP TABLE webhooks; --",
  '" OR ""="',
  '1; DELETE FROM webhook_deliveries',
  "\\'; SELECT SLEEP(5); -- ",
  '%',
  '_',
  '`',
  '\\',
  "1' UNION SELECT password FROM users --",
  '0x3c7363726970743e',
  "admin'/*",
];

export const unicodeStrings = [
  '\u0000',
  'a\u0000b',
  '\uD800',
  '\uDFFF',
  'x\uDBFF',
  '\uFEFF',
  '\u202Eevil',
  '\u200B',
  '👍'.repeat(2600),
  'é'.repeat(5001),
  'Z\u0351\u036B\u0343\u036A\u0302\u036B\u033D\u034F\u0334\u0319\u0324\u031E\u0349\u035A\u032F',
  '\u{10FFFF}',
  '\r\nX-Injected: 1',
  'ｊａｖａｓｃｒｉｐｔ',
  '<img src=x onerror=alert(1)>',
  '{{7*7}}${7*7}%s%n',
  '../../../../etc/passwd',
];

export const hugeStrings = ['a'.repeat(256), 'a'.repeat(2049), 'a'.repeat(5001), 'a'.repeat(65_537), 'x'.repeat(200_000)];

export const numbers = [0, -1, 1, 1.5, -0.0001, 2 ** 31, 2 ** 53 + 1, 1e308, -1e308, Number.MAX_SAFE_INTEGER];

/** Deep nesting as JSON text (`[[[...]]]` / `{"a":{"a":...}}`). */
export function deepArray(depth: number): JsonText {
  return '['.repeat(depth) + ']'.repeat(depth);
}
export function deepObject(depth: number): JsonText {
  return '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
}

/** Prototype-pollution shapes, as JSON text. */
export const pollution: JsonText[] = [
  '{"__proto__":{"polluted":"yes","isAdmin":true}}',
  '{"constructor":{"prototype":{"polluted":"yes"}}}',
  '{"__proto__":[],"length":1}',
  '{"prototype":{"polluted":"yes"}}',
  '{"hasOwnProperty":1,"toString":"x","valueOf":null}',
];

/** Any hostile JSON value, as text. */
export function anyValue(rand: () => number): JsonText {
  switch (Math.floor(rand() * 9)) {
    case 0:
      return pick(rand, ['null', 'true', 'false', '[]', '{}', '[1,"a",null]', '{"a":1}', '""', '" "']);
    case 1:
      return j(pick(rand, numbers));
    case 2:
      return j(pick(rand, sqlStrings));
    case 3:
      return j(pick(rand, unicodeStrings));
    case 4:
      return j(pick(rand, hugeStrings));
    case 5:
      return rand() < 0.5 ? deepArray(pick(rand, [50, 1000, 5000])) : deepObject(pick(rand, [50, 1000, 5000]));
    case 6:
      return pick(rand, pollution);
    case 7:
      return j([pick(rand, sqlStrings), pick(rand, unicodeStrings)]);
    default:
      return j(pick(rand, ['message.received', 'MESSAGE.RECEIVED', 'webhook.test', '*', 'json', 'slack', 'https://example.com/hook']));
  }
}

/**
 * An object as JSON text built from `valid` (field → JSON text) with some fields replaced by
 * hostile values, some dropped, and sometimes an extra hostile key.
 */
export function mutateObject(rand: () => number, valid: Record<string, JsonText>): JsonText {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(valid)) {
    const r = rand();
    if (r < 0.15) continue;
    parts.push(`${j(key)}:${r < 0.6 ? anyValue(rand) : value}`);
  }
  if (rand() < 0.3) parts.push(`${j(pick(rand, ['__proto__', 'constructor', 'prototype', 'id', 'secret_encrypted', 'is_admin', '']))}:${anyValue(rand)}`);
  return `{${parts.join(',')}}`;
}

/** A whole body that is not the expected object at all, or not JSON at all. */
export function hostileBody(rand: () => number): { text: string; contentType: string } {
  const r = rand();
  if (r < 0.5) return { text: anyValue(rand), contentType: 'application/json' };
  if (r < 0.7) return { text: pick(rand, ['{', '{"a":', '[1,]', "{'a':1}", 'NaN', '\u0000', '{"a":1}{"b":2}', '']), contentType: 'application/json' };
  if (r < 0.85) return { text: 'name=x&url=https://example.com&events[]=message.received', contentType: 'application/x-www-form-urlencoded' };
  return { text: pick(rand, pollution), contentType: pick(rand, ['text/plain', 'application/xml', 'application/json; charset=utf-16', 'multipart/form-data; boundary=x']) };
}

/** Path segments a router might mishandle. */
export const hostileIds = [
  '0', '-1', '1.5', '1e3', '0x10', '00001', '99999999999999999999', '2147483648', 'NaN', 'null', 'undefined',
  "1' OR '1'='1", '1;DROP TABLE webhooks', '%00', '%2e%2e', '..', '%F0%9F%91%8D', 'a'.repeat(5000), '__proto__', 'constructor',
  '%ZZ', '1%20OR%201=1', '%27',
];

/**
 * SPEC §5's hard cases, one of each: U+0000 (refused everywhere), lone surrogates (stored and sent
 * as U+FFFD), and well-formed text that is merely unusual (stored and echoed exactly).
 */
export const oddTexts: readonly { label: string; value: string }[] = [
  { label: 'NUL', value: 'a\u0000b' },
  { label: 'lone high surrogate', value: 'x\uD83D' },
  { label: 'lone low surrogate', value: '\uDE00y' },
  { label: '4-byte emoji', value: '👍🏽 ok 𝄞' },
  { label: 'RTL override', value: '\u202Eevil' },
  { label: '100 KB', value: 'a'.repeat(100 * 1024) },
];

/** What SPEC §5 says a text becomes once accepted: lone surrogates turn into U+FFFD. */
export const asStored = (text: string): string =>
  text.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');

/** Raw percent-encodings a path or query may carry: NUL, overlong NUL, an encoded surrogate, a bare 0xFF, RTL. */
export const oddEncodings = ['%00', '%C0%80', '%ED%A0%BD', '%FF', '%E2%80%AE'];
