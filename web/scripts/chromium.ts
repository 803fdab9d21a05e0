// Tooling for the page's tests and benchmark (Node): build the page, serve web/dist with vite's preview server
// (the one `npm run web` starts), and drive Debian's Chromium with playwright-core (no browser download), with the
// flags a machine without network and without a display needs.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { preview, type PreviewServer } from 'vite';

const REPO_ROOT = path.resolve(import.meta.dirname, '..', '..');

/** Debian's chromium; WSEL_CHROMIUM names another. */
export const CHROMIUM = process.env['WSEL_CHROMIUM'] ?? '/usr/bin/chromium';

export const CHROMIUM_FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run', '--disable-quic',
];

/** Screenshots land here for the developer to look at (ignored by git). */
export const SCREENSHOTS = path.join(REPO_ROOT, 'web', 'dist-screenshots');

/** Build the page as `npm run build:web` does. */
export function buildPage(): void {
  execFileSync('npm', ['run', '--silent', 'build:web'], { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
}

export interface Served {
  url: string;
  browser: Browser;
  close(): Promise<void>;
}

export async function servePage(): Promise<Served> {
  const server: PreviewServer = await preview({ configFile: path.join(REPO_ROOT, 'web', 'vite.config.ts'), preview: { port: 0, open: false }, logLevel: 'silent' });
  const url = server.resolvedUrls?.local[0];
  if (!url) throw new Error('the preview server has no local URL');
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS, headless: true });
  mkdirSync(SCREENSHOTS, { recursive: true });
  return {
    url, browser,
    async close() {
      await browser.close();
      await server.close();
    },
  };
}

/** A new page that fails the test on any uncaught error or console error. */
export async function openPage(s: Served, errors: string[]): Promise<Page> {
  const context = await s.browser.newContext({ acceptDownloads: true, viewport: { width: 1100, height: 1400 } });
  const page = await context.newPage();
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); });
  await page.goto(s.url);
  return page;
}
