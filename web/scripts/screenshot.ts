// The README's screenshot of the page (npm run web:screenshot): the deploy path as a user walks it, in Chromium.
// The shipped Fashion-MNIST ViT as teacher, a 64-wide 4-block student, EPOCHS epochs on the bundled MNIST sample,
// a test digit dropped for prediction; writes web/screenshot.png and prints what the page reported.
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildPage, openPage, servePage } from './chromium.js';
import { digitPng, readBuiltSample } from './sample-images.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const EPOCHS = 6;
const OUT = path.join(ROOT, 'web', 'screenshot.png');
const digit = path.join(tmpdir(), `wsel-screenshot-digit-${process.pid}.png`);

buildPage();
const served = await servePage();
try {
  const errors: string[] = [];
  const page = await openPage(served, errors);
  await page.setInputFiles('#teacher-files', path.join(ROOT, 'teachers', 'vit_fmnist.safetensors'));
  await page.waitForSelector('#inspect dl');
  await page.fill('#student-json', '{"embed_dim":64,"depth":4}');
  await page.click('#select');
  await page.waitForSelector('#selection button.download');
  await page.fill('#epochs', String(EPOCHS));
  await page.click('#start');
  await page.waitForFunction("document.querySelector('#status')?.textContent?.startsWith('done')", undefined, { timeout: 1_800_000 });
  writeFileSync(digit, digitPng(readBuiltSample().test, 0));
  await page.setInputFiles('#predict-file', digit);
  await page.waitForSelector('#prediction li');
  if (errors.length) throw new Error(errors.join('\n'));
  await page.screenshot({ path: OUT, fullPage: true });
  console.log(`${await page.textContent('#status')}; test accuracy by epoch: ${await page.getAttribute('#status', 'data-test-accuracies')}`);
  console.log(`prediction for the first test digit: ${(await page.textContent('#prediction li'))?.trim()}`);
  console.log(`wrote ${path.relative(ROOT, OUT)}`);
} finally {
  await served.close();
  rmSync(digit, { force: true });
}
