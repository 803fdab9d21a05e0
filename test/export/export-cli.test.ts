// `wsel export` as a user runs it: train with the CLI, export, run the file in onnxruntime on MNIST test images
// (same top-1 as the engine, image for image), read its metadata; bad requests fail with one line.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import onnxProto from 'onnx-proto';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadFashionMnist, stratifiedSubset, toFloatNCHW } from '../../src/data/index.js';
import { transformOf, type Preprocessing } from '../../src/export/index.js';
import { loadCompleteModel } from '../../src/training/model-setup.js';
import { makeTmpDir, REPO_ROOT, wsel } from '../helpers.js';
import { available } from '../requirements.js';
import { argmaxRows, engineLogits, mnistData, ortLogits } from './helpers.js';

const { onnx } = onnxProto;
const tmp = makeTmpDir('wsel-export-cli-');
afterAll(() => tmp.cleanup());

function metadataOf(file: string): Record<string, string> {
  const model = onnx.ModelProto.decode(readFileSync(file));
  return Object.fromEntries(model.metadataProps.map((p) => [p.key, p.value]));
}

/** Preprocess test images the way the file's metadata says, then compare onnxruntime's top-1 with the engine's. */
async function compareOnTestImages(onnxFile: string, checkpoint: string, split: Parameters<typeof toFloatNCHW>[0], n: number) {
  const pre = JSON.parse(metadataOf(onnxFile)['preprocessing']!) as Preprocessing;
  const indices = stratifiedSubset(split.labels, n, 1);
  const { x, shape } = toFloatNCHW(split, transformOf(pre), indices);
  expect(shape.slice(1)).toEqual(pre.input_size);
  const { logits } = await ortLogits(readFileSync(onnxFile), x, shape);
  const { model } = loadCompleteModel(checkpoint);
  const ref = engineLogits(model, x, shape);
  const classes = logits.length / n;
  const top1 = argmaxRows(logits, classes);
  const labels = [...indices].map((i) => split.labels[i]!);
  return { top1, refTop1: argmaxRows(ref, classes), accuracy: top1.filter((c, i) => c === labels[i]).length / n };
}

describe('wsel export (CLI)', () => {
  const vitRun = tmp.file('vit-run');
  const convnextRun = tmp.file('convnext-run');
  beforeAll(() => {
    const vit = wsel('train', '--model', 'vit', '--config', '{"img_size":28,"patch_size":7,"in_chans":1,"embed_dim":32,"depth":2,"num_heads":2}',
      '--data', 'mnist', '--train-size', '1024', '--eval-size', '100', '--steps', '40', '--batch-size', '32', '--lr', '3e-3', '--out', vitRun);
    expect(vit.code, vit.stderr).toBe(0);
    const cnx = wsel('train', '--model', 'convnext', '--config', '{"in_chans":3,"depths":[1,1,1],"dims":[16,32,48],"conv_mlp":true}',
      '--data', 'mnist', '--train-size', '512', '--eval-size', '100', '--steps', '20', '--batch-size', '32', '--img-size', '64', '--out', convnextRun);
    expect(cnx.code, cnx.stderr).toBe(0);
  });

  it('exports a trained ViT that onnxruntime runs with the engine\'s predictions', async () => {
    const out = tmp.file('vit.onnx');
    const r = wsel('export', '--checkpoint', path.join(vitRun, 'final.safetensors'), '--out', out);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/wrote .*vit\.onnx .*ONNX opset 17, f32 parameters/);
    expect(r.stdout).toMatch(/input {2}"input" float32 \[batch, 1, 28, 28\]/);
    const meta = metadataOf(out);
    expect(JSON.parse(meta['class_names']!)).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    const pre = JSON.parse(meta['preprocessing']!) as Preprocessing;
    const stats = mnistData().stats;
    expect(pre).toMatchObject({ input_size: [1, 28, 28], source_size: [1, 28, 28], fit: 'pad', channel_conversion: 'none', scale: 255, data: 'mnist' });
    expect(pre.mean[0]).toBeCloseTo(stats.mean[0]!, 6);
    expect(pre.std[0]).toBeCloseTo(stats.std[0]!, 6);
    expect(meta['wsel.arch']).toBe('vit');
    const { top1, refTop1, accuracy } = await compareOnTestImages(out, path.join(vitRun, 'final.safetensors'), mnistData().test, 500);
    expect(top1).toEqual(refTop1);
    console.log(`[export cli] ViT trained 40 steps: onnxruntime top-1 equals the engine's on 500 MNIST test images (accuracy ${(100 * accuracy).toFixed(1)}%)`);
    expect(accuracy).toBeGreaterThan(0.15);
  });

  it('a ConvNeXt trained at 64 px exports at its recorded side, with gray replicated to 3 channels', async () => {
    const out = tmp.file('convnext.onnx');
    const r = wsel('export', '--checkpoint', path.join(convnextRun, 'final.safetensors'), '--out', out, '--json');
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result.input).toEqual({ name: 'input', shape: ['batch', 3, 64, 64] });
    expect(result.preprocessing).toMatchObject({ input_size: [3, 64, 64], source_size: [1, 28, 28], fit: 'pad', channel_conversion: 'replicate' });
    const { top1, refTop1 } = await compareOnTestImages(out, path.join(convnextRun, 'final.safetensors'), mnistData().test, 200);
    expect(top1).toEqual(refTop1);
  });

  it('wsel predict runs the exported files in onnxruntime: the engine\'s predictions, from the file\'s own metadata', () => {
    type Printed = { family: string; class_names: string[]; accuracy: number; predictions: { input: string; label: number; top: { class: number; probability: number }[]; logits: number[] }[] };
    const predict = (checkpoint: string, ...args: string[]): Printed => {
      const r = wsel('predict', '--checkpoint', checkpoint, '--json', '--logits', '--top-k', '3', '--batch-size', '50', '--no-progress', ...args);
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as Printed;
    };
    // The ViT at 28 px and the ConvNeXt at 64 px from gray MNIST (padded, replicated to 3 channels); 120 images, 3 batches.
    for (const [run, onnxFile] of [[vitRun, tmp.file('vit.onnx')], [convnextRun, tmp.file('convnext.onnx')]] as const) {
      if (!existsSync(onnxFile)) expect(wsel('export', '--checkpoint', path.join(run, 'final.safetensors'), '--out', onnxFile).code).toBe(0);
      const fromOnnx = predict(onnxFile, '--data', 'mnist', '--limit', '120');
      const fromEngine = predict(path.join(run, 'final.safetensors'), '--data', 'mnist', '--limit', '120');
      expect(fromOnnx.family).toBe(fromEngine.family);
      expect(fromOnnx.class_names).toEqual(fromEngine.class_names);
      expect(fromOnnx.predictions.map((p) => [p.input, p.label, p.top[0]!.class])).toEqual(fromEngine.predictions.map((p) => [p.input, p.label, p.top[0]!.class]));
      expect(fromOnnx.accuracy).toBe(fromEngine.accuracy);
      const scale = Math.max(...fromEngine.predictions.flatMap((p) => p.logits.map(Math.abs)));
      const worst = Math.max(...fromOnnx.predictions.flatMap((p, i) => p.logits.map((v, j) => Math.abs(v - fromEngine.predictions[i]!.logits[j]!))));
      expect(worst / scale).toBeLessThan(1e-4);
    }
    // Text output names the file; an ONNX file records its model, so --model is refused; a file that is not ONNX.
    const text = wsel('predict', '--checkpoint', tmp.file('vit.onnx'), '--data', 'mnist', '--limit', '3', '--no-progress');
    expect(text.stdout).toMatch(/^# .*vit\.onnx: vit, 10 classes; input 1x28/);
    const withModel = wsel('predict', '--checkpoint', tmp.file('vit.onnx'), '--model', 'vit', '--data', 'mnist');
    expect([withModel.code, withModel.stderr]).toEqual([2, expect.stringMatching(/ONNX file records its model/)]);
    const notOnnx = tmp.file('not.onnx');
    writeFileSync(notOnnx, 'plain text, not a model');
    const bad = wsel('predict', '--checkpoint', notOnnx, '--data', 'mnist');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^wsel: error: .*not\.onnx: (not an ONNX model|no "preprocessing" in its metadata)/);
  });

  it('the README\'s classify.mjs runs the exported file on PNG digits and agrees with the engine', () => {
    const readme = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
    const snippet = /```js\n(\/\/ classify\.mjs[\s\S]*?)```/.exec(readme)?.[1];
    expect(snippet, 'README has the classify.mjs example').toBeDefined();
    const dir = tmp.file('readme-example');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'classify.mjs'), snippet!);
    // The example's imports resolve as in a user's project that installed them.
    symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(dir, 'node_modules'));
    const ckpt = path.join(vitRun, 'final.safetensors');
    const onnxFile = path.join(dir, 'student.onnx');
    expect(wsel('export', '--checkpoint', ckpt, '--out', onnxFile).code).toBe(0);
    const test = mnistData().test;
    const indices = stratifiedSubset(test.labels, 20, 4);
    const pngs = [...indices].map((idx, k) => {
      const png = new PNG({ width: 28, height: 28 });
      for (let p = 0; p < 28 * 28; p++) {
        const v = test.images[idx * 784 + p]!;
        png.data.set([v, v, v, 255], 4 * p);
      }
      const file = path.join(dir, `digit${k}.png`);
      writeFileSync(file, PNG.sync.write(png));
      return file;
    });
    const r = spawnSync(process.execPath, ['classify.mjs', 'student.onnx', ...pngs.map((f) => path.basename(f))], { cwd: dir, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const printed = r.stdout.trim().split('\n').map((l) => l.split(': ')[1]);
    const pre = JSON.parse(metadataOf(onnxFile)['preprocessing']!) as Preprocessing;
    const { x, shape } = toFloatNCHW(test, transformOf(pre), indices);
    const engine = argmaxRows(engineLogits(loadCompleteModel(ckpt).model, x, shape), 10).map(String);
    expect(printed).toEqual(engine);
  });

  it('same checkpoint, same bytes; --dtype f16 about halves the file', () => {
    const ckpt = path.join(vitRun, 'final.safetensors');
    const [a, b, h] = ['a.onnx', 'b.onnx', 'h.onnx'].map((f) => tmp.file(f));
    expect(wsel('export', '--checkpoint', ckpt, '--out', a!).code).toBe(0);
    expect(wsel('export', '--checkpoint', ckpt, '--out', b!).code).toBe(0);
    expect(wsel('export', '--checkpoint', ckpt, '--out', h!, '--dtype', 'f16').code).toBe(0);
    expect(readFileSync(a!).equals(readFileSync(b!))).toBe(true);
    const ratio = statSync(h!).size / statSync(a!).size;
    expect(ratio).toBeGreaterThan(0.45);
    expect(ratio).toBeLessThan(0.6);
  });

  it('bad requests: one line, a documented exit code, nothing written', () => {
    const ckpt = path.join(vitRun, 'final.safetensors');
    const cases: [string[], number, RegExp][] = [
      [['--checkpoint', tmp.file('missing.safetensors'), '--out', tmp.file('x.onnx')], 1, /missing\.safetensors: no such file/],
      [['--checkpoint', ckpt, '--out', tmp.file('x.onnx'), '--format', 'tflite'], 2, /--format/],
      [['--checkpoint', ckpt, '--out', tmp.file('x.onnx'), '--dtype', 'bf16'], 2, /--dtype/],
      [['--checkpoint', ckpt, '--out', ckpt], 1, /would overwrite the checkpoint/],
      [['--checkpoint', ckpt, '--out', tmp.file('x.onnx'), '--data', tmp.file('nowhere')], 1, /unknown dataset/],
    ];
    for (const [args, code, message] of cases) {
      const r = wsel('export', ...args);
      expect(r.code, args.join(' ')).toBe(code);
      expect(r.stderr, args.join(' ')).toMatch(message);
      expect(r.stderr.trim().split('\n').filter((l) => !l.startsWith('(run with')), args.join(' ')).toHaveLength(1);
    }
    expect(existsSync(tmp.file('x.onnx'))).toBe(false);
    expect(readdirSync(tmp.dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('a selected student (no training data recorded) needs --data; without its classifier it cannot be exported', () => {
    const teacher = path.join(REPO_ROOT, 'teachers/vit_fmnist.safetensors');
    const keep = tmp.file('keep.safetensors');
    const drop = tmp.file('drop.safetensors');
    expect(wsel('select', '--teacher', teacher, '--student', '{"embed_dim":64,"depth":2}', '--keep-head', '--out', keep).code).toBe(0);
    expect(wsel('select', '--teacher', teacher, '--student', '{"embed_dim":64,"depth":2}', '--out', drop).code).toBe(0);
    const noData = wsel('export', '--checkpoint', keep, '--out', tmp.file('s.onnx'));
    expect(noData.code).toBe(1);
    expect(noData.stderr).toMatch(/no wsel\.data .*--data/);
    const withData = wsel('export', '--checkpoint', keep, '--out', tmp.file('s.onnx'), '--data', 'mnist');
    expect(withData.code, withData.stderr).toBe(0);
    const headless = wsel('export', '--checkpoint', drop, '--out', tmp.file('d.onnx'), '--data', 'mnist');
    expect(headless.code).toBe(1);
    expect(headless.stderr).toMatch(/missing head\.weight/);
  });
});

// The project's own trained teachers on the data they were trained on (Debian's dataset-fashion-mnist).
describe.skipIf(!available('fashion-mnist'))('the shipped teachers in onnxruntime', () => {
  for (const name of ['vit_fmnist', 'convnext_fmnist']) {
    it(`${name}: same top-1 as the engine on 500 Fashion-MNIST test images`, async () => {
      const ckpt = path.join(REPO_ROOT, 'teachers', `${name}.safetensors`);
      const out = tmp.file(`${name}.onnx`);
      const r = wsel('export', '--checkpoint', ckpt, '--out', out);
      expect(r.code, r.stderr).toBe(0);
      const { top1, refTop1, accuracy } = await compareOnTestImages(out, ckpt, loadFashionMnist().test, 500);
      expect(top1).toEqual(refTop1);
      console.log(`[export cli] ${name}: onnxruntime top-1 equals the engine's on 500 Fashion-MNIST test images, accuracy ${(100 * accuracy).toFixed(1)}%`);
      expect(accuracy).toBeGreaterThan(0.8);
    });
  }
});
