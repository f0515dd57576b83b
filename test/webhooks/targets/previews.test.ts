import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderTargetPreviews, sampleEnvelope } from '../../../scripts/render-target-previews.js';

/** The README's Slack and Discord pictures can be drawn again, even from hostile visitor text. */
describe('target previews', () => {
  const dir = mkdtempSync(join(tmpdir(), 'previews-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('screenshots both mock-ups as PNGs', async () => {
    const hostile = { ...sampleEnvelope, data: { ...sampleEnvelope.data, content: '<img src=x onerror=alert(1)> <!channel> @everyone [x](http://evil)' } };
    const files = await renderTargetPreviews(hostile as typeof sampleEnvelope, dir);
    expect(files.map((f) => f.slice(dir.length + 1))).toEqual(['slack-message.png', 'discord-message.png']);
    for (const file of files) {
      const png = readFileSync(file);
      expect(png.subarray(1, 4).toString()).toBe('PNG');
      // IHDR width and height: a message-sized picture, drawn at 2x.
      expect(png.readUInt32BE(16)).toBeGreaterThan(800);
      expect(png.readUInt32BE(20)).toBeGreaterThan(300);
    }
  }, 30_000);
});
