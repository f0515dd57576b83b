/// <reference lib="dom" />
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { projectRoot } from '../../src/server.js';

/** The phone every admin page is checked on: an iPhone SE's CSS viewport. */
export const PHONE = { width: 375, height: 667 };

const axePath = join(projectRoot, 'node_modules/axe-core/axe.min.js');

export interface AxeFinding {
  id: string;
  impact: string | null;
  targets: string[];
}

/**
 * No horizontal scroll at the page's viewport width, and each control (a selector; every match
 * counts) visible and wholly inside the screen's width. A failure names the widest culprits.
 */
export async function fitsPhone(page: Page, controls: string[] = []): Promise<void> {
  const width = page.viewportSize()!.width;
  const measured = await page.evaluate((w) => {
    const over = (el: Element) => el.getBoundingClientRect().right > w + 0.5;
    // The innermost elements that stick out: their ancestors only stick out because of them.
    const wider = [...document.querySelectorAll('body *')]
      .filter((el) => over(el) && ![...el.children].some(over))
      .slice(0, 8)
      .map((el) => `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${el.className && typeof el.className === 'string' ? `.${el.className.trim().split(/\s+/).join('.')}` : ''} (${Math.round(el.getBoundingClientRect().right)} px)`);
    return { scrollWidth: document.documentElement.scrollWidth, wider };
  }, width);
  expect({ scrollWidth: Math.min(measured.scrollWidth, width), wider: measured.scrollWidth > width ? measured.wider : [] }).toEqual({ scrollWidth: width, wider: [] });
  for (const selector of controls) {
    const matches = page.locator(selector);
    const count = await matches.count();
    expect(`${selector}: ${count > 0 ? 'found' : 'missing'}`).toBe(`${selector}: found`);
    for (let i = 0; i < count; i++) {
      const box = await matches.nth(i).boundingBox();
      const where = box ? { left: Math.round(box.x), right: Math.round(box.x + box.width) } : 'hidden';
      expect({ selector, where: box && box.x >= 0 && box.x + box.width <= width ? 'inside' : where }).toEqual({ selector, where: 'inside' });
    }
  }
}

/** axe-core's findings on the page as it is now (axe-core is injected; open the context with bypassCSP). */
export async function axeFindings(page: Page): Promise<AxeFinding[]> {
  await page.addScriptTag({ path: axePath });
  return page.evaluate(async () => {
    type Result = { violations: { id: string; impact: string | null; nodes: { target: string[] }[] }[] };
    const result = await (window as unknown as { axe: { run(): Promise<Result> } }).axe.run();
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, targets: v.nodes.map((n) => n.target.join(' ')) }));
  });
}

/** Fails on any axe-core finding, whatever its impact (minor and moderate included). */
export async function expectNoAxe(page: Page): Promise<string[]> {
  const findings = await axeFindings(page);
  expect(findings.map((f) => `${f.impact}:${f.id} at ${f.targets.join(', ')}`)).toEqual([]);
  return findings.map((f) => `${f.impact}:${f.id}`);
}
