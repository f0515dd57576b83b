import { judgeDiscord } from './fake-discord.js';
import { judgeSlack } from './fake-slack.js';

/** The fakes refuse what Slack and Discord refuse; otherwise "accepted" in the other tests would prove nothing. */
describe('fake Slack', () => {
  const header = (text: string) => ({ type: 'header', text: { type: 'plain_text', text } });
  const section = (text: string) => ({ type: 'section', text: { type: 'mrkdwn', text } });

  it.each([
    ['not JSON', 'text=hi', [400, 'invalid_payload']],
    ['neither text nor blocks', JSON.stringify({ unfurl_links: false }), [400, 'invalid_payload']],
    ['empty text, no blocks', JSON.stringify({ text: ' ' }), [400, 'invalid_payload']],
    ['51 blocks', JSON.stringify({ text: 'x', blocks: Array.from({ length: 51 }, () => section('x')) }), [400, 'invalid_blocks']],
    ['section text of 3001', JSON.stringify({ text: 'x', blocks: [section('a'.repeat(3001))] }), [400, 'invalid_blocks']],
    ['header of 151', JSON.stringify({ text: 'x', blocks: [header('a'.repeat(151))] }), [400, 'invalid_blocks']],
    ['11 fields', JSON.stringify({ text: 'x', blocks: [{ type: 'section', fields: Array.from({ length: 11 }, () => ({ type: 'mrkdwn', text: 'f' })) }] }), [400, 'invalid_blocks']],
  ])('refuses %s', (_name, body, expected) => {
    expect(judgeSlack(body)).toEqual(expected);
  });

  it('accepts text alone, and blocks at their limits', () => {
    expect(judgeSlack(JSON.stringify({ text: 'hi' }))).toBeNull();
    expect(judgeSlack(JSON.stringify({ blocks: [header('a'.repeat(150)), ...Array.from({ length: 49 }, () => section('b'.repeat(3000)))] }))).toBeNull();
  });
});

describe('fake Discord', () => {
  const embed = (extra: Record<string, unknown>) => ({ title: 't', footer: { text: 'f' }, fields: [], ...extra });
  const code = (body: unknown) => judgeDiscord(JSON.stringify(body))?.[1].code ?? null;

  it.each([
    ['no content or embeds', {}, 50006],
    ['empty embeds', { embeds: [] }, 50006],
    ['content of 2001', { content: 'a'.repeat(2001) }, 50035],
    ['11 embeds', { embeds: Array.from({ length: 11 }, () => embed({})) }, 50035],
    ['title of 257', { embeds: [embed({ title: 'a'.repeat(257) })] }, 50035],
    ['description of 4097', { embeds: [embed({ description: 'a'.repeat(4097) })] }, 50035],
    ['field name of 257', { embeds: [embed({ fields: [{ name: 'a'.repeat(257), value: 'v' }] })] }, 50035],
    ['field value of 1025', { embeds: [embed({ fields: [{ name: 'n', value: 'a'.repeat(1025) }] })] }, 50035],
    ['an empty field value', { embeds: [embed({ fields: [{ name: 'n', value: '' }] })] }, 50035],
    ['26 fields', { embeds: [embed({ fields: Array.from({ length: 26 }, () => ({ name: 'n', value: 'v' })) })] }, 50035],
    ['6003 characters in all', { embeds: [embed({ description: 'a'.repeat(4096), fields: [{ name: 'n', value: 'a'.repeat(1024) }, { name: 'n', value: 'a'.repeat(879) }] })] }, 50035],
  ])('refuses %s', (_name, body, expected) => {
    expect(code(body)).toBe(expected);
  });

  it('accepts content alone, and an embed of exactly 6000 characters', () => {
    expect(judgeDiscord(JSON.stringify({ content: 'hi' }))).toBeNull();
    const exact = embed({ description: 'a'.repeat(4096), fields: [{ name: 'n', value: 'a'.repeat(1024) }, { name: 'n', value: 'a'.repeat(876) }] }); // 1 + 1 + 4096 + 1025 + 877
    expect(judgeDiscord(JSON.stringify({ embeds: [exact] }))).toBeNull();
  });
});
