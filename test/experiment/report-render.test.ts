// The report as a reader sees it: the claims grid's committed results rendered by `wsel report`, then the
// page opened in headless Chromium at 1200 px.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTmpDir, REPO_ROOT, wsel } from '../helpers.js';
import { available, CHROMIUM } from '../requirements.js';

const tmp = makeTmpDir('wsel-report-');
afterAll(() => tmp.cleanup());
const html = tmp.file('index.html');

beforeAll(() => {
  const r = wsel('report', path.join(REPO_ROOT, 'experiments/results/claims'), '--html', html, '--md', tmp.file('RESULTS.md'));
  expect(r.code, r.stderr).toBe(0);
});

describe('report plots', () => {
  it('draws every legend symbol opaque, so each of 6-7 curves can be matched to its label', () => {
    const page = readFileSync(html, 'utf8');
    const symbols = [...page.matchAll(/<g class="mark-symbol role-legend-symbol"[^>]*>(<path [^>]*>)/g)].map((m) => m[1]!);
    expect(symbols.length).toBeGreaterThan(20);
    for (const s of symbols) {
      expect(s).toMatch(/ opacity="1"/);
      expect(s).not.toMatch(/(fill|stroke)-opacity="0/);
    }
    // the curves' legends are line swatches in the curve's colour
    expect(page).toMatch(/role-legend-symbol[^>]*><path [^>]*d="M-[\d.]+,0L[\d.]+,0" fill="#[0-9a-f]{6}" stroke="#[0-9a-f]{6}" stroke-width="3"/);
  });

  describe.skipIf(!available('chromium'))('in headless Chromium at 1200 px', () => {
    it('fits the width (no horizontal scroll) and shows every figure', async () => {
      const { chromium } = await import('playwright-core');
      const browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
      });
      try {
        const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
        await page.goto(`file://${html}`);
        // Runs in the page (the project's types have no DOM, hence a string).
        const layout = await page.evaluate(`({
          scrollWidth: document.documentElement.scrollWidth,
          clientWidth: document.documentElement.clientWidth,
          figures: [...document.querySelectorAll('figure svg')].map((svg) => svg.getBoundingClientRect().toJSON()),
        })`) as { scrollWidth: number; clientWidth: number; figures: { right: number; width: number }[] };
        expect(layout.scrollWidth).toBeLessThanOrEqual(layout.clientWidth);
        expect(layout.figures.length).toBeGreaterThan(10);
        for (const r of layout.figures) {
          expect(r.right).toBeLessThanOrEqual(1200);
          expect(r.width).toBeGreaterThan(300); // scaled to fit, not shrunk out of sight
        }
        const shot = await page.locator('figure').first().screenshot({ path: tmp.file('curves.png') });
        expect(shot.length).toBeGreaterThan(10_000);
      } finally {
        await browser.close();
      }
    });
  });
});
