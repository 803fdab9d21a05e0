// The browser page in real Chromium: the built bundle holds no Node-only code; a teacher file, a sharded set and a
// Hugging Face folder are inspected and selected from (by JSON fields or a timm name) with the same bytes as
// `wsel select`; a short fine-tune on the bundled MNIST sample raises test accuracy; a dropped image is classified;
// the trained student downloads as safetensors and ONNX, and both give, outside the browser, what the page
// reported. Screenshots go to web/dist-screenshots/ for a person to look at.
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeSyntheticHfModel } from '../../src/arch/hf-synthetic.js';
import { llama, vit } from '../../src/arch/index.js';
import { writeSyntheticCheckpoint } from '../../src/arch/synthetic.js';
import { VIT_DEFAULTS } from '../../src/arch/vit.js';
import { toFloatNCHW } from '../../src/data/index.js';
import { transformOf, type Preprocessing } from '../../src/export/index.js';
import { loadCompleteModel } from '../../src/training/model-setup.js';
import { argmaxRows, engineLogits, ortLogits } from '../export/helpers.js';
import { available } from '../requirements.js';
import { llamaJson } from '../llm/helpers.js';
import { makeTmpDir, REPO_ROOT, wsel } from '../helpers.js';
import { digitPng, readBuiltSample } from '../../web/scripts/sample-images.js';
import { buildPage, openPage, SCREENSHOTS, servePage, type Served } from '../../web/scripts/chromium.js';
import onnxProto from 'onnx-proto';

const tmp = makeTmpDir('wsel-web-');
const TEACHER = path.join(REPO_ROOT, 'teachers/vit_fmnist.safetensors');
const STUDENT = '{"embed_dim":64,"depth":4}';

async function download(page: Page, click: () => Promise<void>, name: string): Promise<Buffer> {
  const [dl] = await Promise.all([page.waitForEvent('download'), click()]);
  const file = tmp.file(name);
  await dl.saveAs(file);
  return readFileSync(file);
}

/** Select in the page from the files given to `input` (with a timm name, when given); returns the downloads by file name. */
async function selectInPage(page: Page, input: string, files: string | string[], student: string, timmName = ''): Promise<Map<string, Buffer>> {
  await page.setInputFiles(input, files);
  await page.waitForSelector('#inspect dl');
  await page.selectOption('#student-name', timmName);
  await page.fill('#student-json', student);
  await page.click('#select');
  await page.waitForSelector('#selection button.download');
  const out = new Map<string, Buffer>();
  for (const button of await page.$$('#selection button.download')) {
    const name = (await button.textContent())!.replace(/^Download (.*) \(.*$/, '$1');
    out.set(name, await download(page, () => button.click(), `page-${name}`));
  }
  return out;
}

describe.skipIf(!available('chromium'))('the browser page in Chromium', () => {
  let served: Served;
  const errors: string[] = [];
  beforeAll(async () => {
    buildPage();
    served = await servePage();
  }, 600_000);
  afterAll(async () => {
    await served?.close();
    tmp.cleanup();
  });

  it('the bundle holds no Node-only code', () => {
    const dir = path.join(REPO_ROOT, 'web/dist/assets');
    const scripts = readdirSync(dir).filter((f) => f.endsWith('.js'));
    expect(scripts.length).toBeGreaterThanOrEqual(3); // the page and its two workers at least
    const nodeOnly = /.{0,60}(["'`]node:[a-z_]+["'`]|__vite-browser-external|\brequire\(["'](fs|path|os|worker_threads|child_process)["']\)).{0,30}/g;
    const found = scripts.flatMap((f) => [...readFileSync(path.join(dir, f), 'utf8').matchAll(nodeOnly)].map((m) => `${f}: ${m[0]}`));
    expect(found).toEqual([]);
  });

  it('a teacher file: what wsel inspect shows, and the student with the bytes wsel select writes', async () => {
    const page = await openPage(served, errors);
    const files = await selectInPage(page, '#teacher-files', TEACHER, STUDENT);
    const inspect = JSON.parse(wsel('inspect', TEACHER, '--json').stdout);
    const shown = await page.textContent('#inspect');
    expect(shown).toContain(`architecture${inspect.architecture}`);
    expect(shown).toContain(`(${inspect.parameters})`);
    expect(shown).toContain(JSON.stringify(inspect.config));
    expect(shown).toContain(`timm names${inspect.timm_names.length ? inspect.timm_names.join(', ') : 'none with these shapes'}`);
    await page.screenshot({ path: path.join(SCREENSHOTS, '1-selected.png'), fullPage: true });
    const out = tmp.file('cli/student.safetensors');
    mkdirSync(path.dirname(out), { recursive: true });
    const r = wsel('select', '--teacher', TEACHER, '--student', STUDENT, '--out', out);
    expect(r.code, r.stderr).toBe(0);
    expect([...files.keys()].sort()).toEqual(['student.safetensors', 'student.selection.json']);
    expect(files.get('student.safetensors')!.equals(readFileSync(out))).toBe(true);
    expect(files.get('student.selection.json')!.equals(readFileSync(tmp.file('cli/student.selection.json')))).toBe(true);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('a student by timm name (with fields over it) is the CLI\'s, and the names offered are the teacher family\'s', async () => {
    // A 256-wide, 2-block ViT at timm's 224 px, patch 16: ViT-Ti's width fits under it.
    const teacher = tmp.file('vit-256.safetensors');
    writeSyntheticCheckpoint(vit.declare({ ...VIT_DEFAULTS, embed_dim: 256, depth: 2, num_heads: 4, num_classes: 10 }), teacher, 5);
    const page = await openPage(served, errors);
    const files = await selectInPage(page, '#teacher-files', teacher, '{"depth":2}', 'vit_tiny_patch16_224');
    const offered = await page.$$eval('#student-name option', (options) => options.map((o) => o.getAttribute('value') ?? ''));
    expect(offered).toContain('deit3_small_patch16_224');
    expect(offered.filter((name) => name !== '' && !/^(vit|deit)/.test(name))).toEqual([]);
    const out = tmp.file('cli-timm/student.safetensors');
    mkdirSync(path.dirname(out), { recursive: true });
    const r = wsel('select', '--teacher', teacher, '--student', '{"name":"vit_tiny_patch16_224","depth":2}', '--out', out);
    expect(r.code, r.stderr).toBe(0);
    expect(files.get('student.safetensors')!.equals(readFileSync(out))).toBe(true);
    expect(files.get('student.selection.json')!.equals(readFileSync(tmp.file('cli-timm/student.selection.json')))).toBe(true);
    expect(await page.textContent('#selection')).toContain('"embed_dim":192,"depth":2,"num_heads":3');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('a sharded set and a Hugging Face folder select to the CLI\'s bytes', async () => {
    // A sharded teacher: the shipped teacher re-written in 1 MB shards.
    const shards = tmp.file('shards');
    mkdirSync(shards);
    expect(wsel('select', '--teacher', TEACHER, '--student', '{}', '--keep-head', '--max-shard-size', '1MB', '--out', path.join(shards, 'teacher.safetensors')).code).toBe(0);
    const shardFiles = readdirSync(shards).filter((f) => !f.endsWith('.selection.json')).map((f) => path.join(shards, f));
    expect(shardFiles.length).toBeGreaterThan(2);
    const page = await openPage(served, errors);
    const fromShards = await selectInPage(page, '#teacher-files', shardFiles, STUDENT);
    const cliShards = tmp.file('cli-shards/student.safetensors');
    mkdirSync(path.dirname(cliShards), { recursive: true });
    expect(wsel('select', '--teacher', path.join(shards, 'teacher.safetensors.index.json'), '--student', STUDENT, '--out', cliShards).code).toBe(0);
    expect(fromShards.get('student.safetensors')!.equals(readFileSync(cliShards))).toBe(true);

    // A Hugging Face folder (Llama-style, bf16, 2 shards, tokenizer files).
    const hf = tmp.file('llama-teacher');
    writeSyntheticHfModel(hf, llama, llamaJson(), { seed: 3, maxShardSize: 60_000 });
    const fromFolder = await selectInPage(page, '#teacher-folder', hf, '{"hidden_size":32,"num_hidden_layers":2}');
    const cliFolder = tmp.file('cli-llama');
    const r = wsel('select', '--teacher', hf, '--student', '{"hidden_size":32,"num_hidden_layers":2}', '--out', cliFolder);
    expect(r.code, r.stderr).toBe(0);
    expect([...fromFolder.keys()].sort()).toEqual(readdirSync(cliFolder).sort());
    for (const [name, bytes] of fromFolder) expect(bytes.equals(readFileSync(path.join(cliFolder, name))), name).toBe(true);
    await page.screenshot({ path: path.join(SCREENSHOTS, '2-hf-folder.png'), fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('fine-tunes on the bundled MNIST sample (test accuracy rises), predicts a dropped digit, downloads safetensors and ONNX', async () => {
    const page = await openPage(served, errors);
    await selectInPage(page, '#teacher-files', TEACHER, STUDENT);
    await page.fill('#epochs', '2');
    await page.click('#start');
    await page.waitForFunction("document.querySelector('#status')?.textContent?.startsWith('done')", undefined, { timeout: 300_000 });
    const accuracies = (await page.getAttribute('#status', 'data-test-accuracies'))!.split(',').map(Number);
    console.log(`[web] test accuracy on the 1,000 sample test images by evaluation: ${accuracies.map((a) => `${(100 * a).toFixed(1)}%`).join(' -> ')}`);
    expect(accuracies.length).toBeGreaterThanOrEqual(2);
    expect(accuracies.at(-1)!).toBeGreaterThan(accuracies[0]! + 0.2);
    await page.screenshot({ path: path.join(SCREENSHOTS, '3-trained.png'), fullPage: true });

    // A test digit from the sample, as a PNG a user would drop.
    const sample = readBuiltSample();
    const digit = tmp.file('digit.png');
    writeFileSync(digit, digitPng(sample.test, 0));
    await page.setInputFiles('#predict-file', digit);
    await page.waitForSelector('#prediction li');
    const top = (await page.textContent('#prediction li'))!.trim().split(/\s+/)[0]!;

    const safetensors = await download(page, () => page.click('#download-safetensors'), 'trained.safetensors');
    const onnx = await download(page, () => page.click('#download-onnx'), 'trained.onnx');
    await page.screenshot({ path: path.join(SCREENSHOTS, '4-predicted.png'), fullPage: true });

    // Outside the browser: the downloaded student gives the page's final accuracy on the same images, and its
    // ONNX file the same top-1 as the engine.
    const { model } = loadCompleteModel(tmp.file('trained.safetensors'));
    const meta = Object.fromEntries(onnxProto.onnx.ModelProto.decode(onnx).metadataProps.map((p) => [p.key, p.value]));
    const pre = JSON.parse(meta['preprocessing']!) as Preprocessing;
    const split = { images: sample.test.images, labels: sample.test.labels, n: sample.test.labels.length, height: 28, width: 28, channels: 1, classes: 10 };
    const { x, shape } = toFloatNCHW(split, transformOf(pre));
    const ref = argmaxRows(engineLogits(model, x, shape), 10);
    const accuracy = ref.filter((c, i) => c === sample.test.labels[i]).length / ref.length;
    expect(accuracy).toBeCloseTo(accuracies.at(-1)!, 6);
    expect(String(ref[0])).toBe(top);
    const { logits } = await ortLogits(onnx, x, shape);
    expect(argmaxRows(logits, 10)).toEqual(ref);
    expect(safetensors.length).toBeGreaterThan(0);
    expect(errors).toEqual([]);
    await page.close();
  }, 600_000);

  it('fine-tunes on dropped image folders (one per class)', async () => {
    // Two classes of MNIST digits as PNG files in class folders, as a user would drop them.
    const sample = readBuiltSample();
    const root = tmp.file('my-images');
    const counts = new Map<number, number>();
    for (let i = 0; i < sample.train.labels.length; i++) {
      const label = sample.train.labels[i]!;
      if (label > 1 || (counts.get(label) ?? 0) >= 40) continue;
      counts.set(label, (counts.get(label) ?? 0) + 1);
      const dir = path.join(root, label === 0 ? 'zero' : 'one');
      mkdirSync(dir, { recursive: true });
      writeFileSync(path.join(dir, `${i}.png`), digitPng(sample.train, i));
    }
    const page = await openPage(served, errors);
    await selectInPage(page, '#teacher-files', TEACHER, STUDENT);
    await page.selectOption('#data', 'dropped');
    await page.setInputFiles('#images', root);
    await page.waitForFunction("document.querySelector('#data-info')?.textContent?.includes('classes')");
    expect(await page.textContent('#data-info')).toContain('80 images, 2 classes (one, zero), 28x28x1');
    await page.fill('#epochs', '3');
    await page.fill('#batch', '16');
    await page.click('#start');
    await page.waitForFunction("document.querySelector('#status')?.textContent?.startsWith('done')", undefined, { timeout: 300_000 });
    expect(await page.textContent('#data-info')).toContain('64 training and 16 test images, 2 classes');
    const accuracies = (await page.getAttribute('#status', 'data-test-accuracies'))!.split(',').map(Number);
    console.log(`[web] dropped folders (2 classes): test accuracy ${accuracies.map((a) => `${(100 * a).toFixed(1)}%`).join(' -> ')}`);
    expect(accuracies.at(-1)!).toBeGreaterThanOrEqual(0.9);
    await page.screenshot({ path: path.join(SCREENSHOTS, '5-dropped-images.png'), fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  }, 600_000);

  it('npm run web builds, serves the page and says where', async () => {
    const child = spawn('npm', ['run', 'web', '--', '--port', '4273'], { cwd: REPO_ROOT, detached: true });
    try {
      let out = '';
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no URL printed; output: ${out}`)), 240_000);
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /Local:\s+(http:\/\/\S+)/.exec(out.replace(/\x1b\[[0-9;]*m/g, ''));
          if (m) { clearTimeout(timer); resolve(m[1]!); }
        });
      });
      const res = await fetch(url);
      expect(res.status).toBe(200);
      expect(res.headers.get('cross-origin-opener-policy')).toBe('same-origin');
      expect(await res.text()).toContain('wsel in the browser');
    } finally {
      process.kill(-child.pid!, 'SIGTERM');
    }
  }, 300_000);
});
