import { cleanText, describePath, wellFormed } from '../src/text.js';

describe('SPEC §5 text rule (pure)', () => {
  it('replaces lone surrogates with U+FFFD and keeps pairs, emoji and RTL as they are', () => {
    expect(wellFormed('a\uD83Db')).toBe('a\uFFFDb');
    expect(wellFormed('\uDE00x\uD83D')).toBe('\uFFFDx\uFFFD');
    expect(wellFormed('👍🏽 \u202Eevil 𝄞')).toBe('👍🏽 \u202Eevil 𝄞');
  });

  it('finds U+0000 at any depth and names the place', () => {
    const { nul } = cleanText({ name: 'ok', events: ['a', 'b\u0000'], deep: { x: '\u0000' } });
    expect(nul.map(describePath)).toEqual(['events[1]', 'deep[x]']);
  });

  it('returns the same object when nothing changes, a copy when something does, and never touches the input', () => {
    const clean = { a: 'x', b: [1, 'y'] };
    expect(cleanText(clean).value).toBe(clean);
    const input = { a: 'x\uD83D', b: ['\uDE00'], c: 3 };
    const { value } = cleanText(input);
    expect(value).toEqual({ a: 'x\uFFFD', b: ['\uFFFD'], c: 3 });
    expect(input.a).toBe('x\uD83D');
  });

  it('keeps a __proto__ key an own property instead of setting the prototype', () => {
    const input = JSON.parse('{"__proto__":{"polluted":"\\ud83d"},"a":"\\ud83d"}') as Record<string, unknown>;
    const { value } = cleanText(input);
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.keys(value)).toEqual(['__proto__', 'a']);
    expect((Object.getOwnPropertyDescriptor(value, '__proto__')!.value as { polluted: string }).polluted).toBe('\uFFFD');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('leaves what is nested beyond any schema alone instead of recursing without end', () => {
    const deep = JSON.parse('['.repeat(5000) + '"\\u0000"' + ']'.repeat(5000)) as unknown;
    expect(cleanText(deep).nul).toEqual([]);
  });
});
