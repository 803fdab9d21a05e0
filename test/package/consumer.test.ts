// wsel as a user gets it: `npm pack`, the tarball installed into a new project on a machine without a C
// compiler, and the README's "As a library" snippets type-checked with tsc and run there, as written, in order.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { vit } from '../../src/arch/index.js';
import { VIT_DEFAULTS } from '../../src/arch/vit.js';
import { writeSyntheticCheckpoint } from '../../src/arch/synthetic.js';
import { makeTmpDir, REPO_ROOT } from '../helpers.js';
import { missing } from '../requirements.js';

const tmp = makeTmpDir('wsel-consumer-');
afterAll(() => tmp.cleanup());
const app = tmp.file('app');

/** The ```ts blocks of the README's "As a library" section, in order. */
export function librarySnippets(readme: string): string[] {
  const start = readme.indexOf('\n## As a library\n');
  if (start < 0) throw new Error('README.md has no "## As a library" section');
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

// The consumer's machine: CI's WSEL_BLAS=openblas demands the addon that this test installs without a compiler.
const consumerEnv: NodeJS.ProcessEnv = { ...process.env, WSEL_BLAS: undefined };

function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { cwd: opts.cwd ?? app, env: opts.env ?? consumerEnv, encoding: 'utf8', maxBuffer: 1 << 26, timeout: 300_000 });
}

const said = (r: SpawnSyncReturns<string>): string => `${r.stdout}\n${r.stderr}`;

/** A PATH holding only node, npm and sh: a machine with Node and nothing to compile with. */
function bareBin(): string {
  const bin = tmp.file('bare-bin');
  mkdirSync(bin);
  const npmCli = path.join(path.dirname(process.execPath), 'npm');
  for (const [name, target] of [['node', process.execPath], ['npm', npmCli], ['sh', '/bin/sh']] as const) symlinkSync(target, path.join(bin, name));
  return bin;
}

let tarball = '';
let installed = false;
let installLog = '';

beforeAll(() => {
  // dist/ was just compiled by the global setup; --ignore-scripts keeps `prepare` from rebuilding it under
  // the feet of the other test files.
  const pack = run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp.dir], { cwd: REPO_ROOT });
  expect(pack.status, pack.stderr).toBe(0);
  tarball = path.join(tmp.dir, (JSON.parse(pack.stdout) as { filename: string }[])[0]!.filename);

  mkdirSync(app);
  // npm 11 runs a dependency's install script (the addon build) only when the project allows it, as
  // `npm install-scripts approve wsel` records it for a tarball.
  writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module', allowScripts: { [`file:${tarball}`]: true } }));
  // The teacher the snippets name: ViT-S width (384, 6 heads of 64), 2 blocks, 28x28x1 images, random weights.
  const config = { ...VIT_DEFAULTS, img_size: 28, patch_size: 7, in_chans: 1, embed_dim: 384, num_heads: 6, depth: 2, num_classes: 10 };
  writeSyntheticCheckpoint(vit.declare(config), path.join(app, 'vit_small.safetensors'), 0);

  // Dependencies come from the npm cache when it has them (it does after `npm ci`), else from the registry.
  const install = run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--foreground-scripts', tarball], {
    env: { ...consumerEnv, PATH: bareBin() },
  });
  installLog = said(install);
  if (install.status !== 0 && /ENOTCACHED|EAI_AGAIN|ENOTFOUND|ECONNREFUSED|ETIMEDOUT|ECONNRESET/.test(installLog)) {
    missing('the npm registry (or a cache holding the dependencies)', 'run `npm ci` once with a network', installLog.split('\n').find((l) => /npm error/.test(l)) ?? 'install failed');
    return;
  }
  expect(install.status, installLog).toBe(0);
  installed = true;
});

describe('the packed tarball', () => {
  it('holds what a user needs and nothing else', () => {
    const list = run('tar', ['-tzf', tarball], { cwd: tmp.dir }).stdout.trim().split('\n').map((f) => f.replace(/^package\//, ''));
    for (const f of ['package.json', 'README.md', 'bin/wsel.js', 'dist/index.js', 'dist/index.d.ts', 'dist/cli/main.js', 'dist/engine/node/worker-entry.js',
      'teachers/vit_fmnist.safetensors', 'native/binding.gyp', 'native/src/wsel_blas.c', 'scripts/build-native.mjs', 'bench/train_reference.py']) {
      expect(list, f).toContain(f);
    }
    const unwanted = list.filter((f) => /^(src|test|experiments|runs|web)\/|\.map$|\.py$/.test(f) && f !== 'bench/train_reference.py');
    expect(unwanted).toEqual([]);
    // A guard against shipping a whole folder by mistake (once 2,810 files); the README's count is checked below.
    expect(list.length).toBeLessThan(500);
  });

  it('is the size the README states', () => {
    const stated = /`npm pack` makes `wsel-[\d.]+\.tgz` \(([\d.]+) MB packed, [\d.]+ MB unpacked, about (\d+) files/.exec(readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8'));
    expect(stated, 'README: "npm pack makes wsel-X.tgz (N MB packed, ..., about K files"').not.toBeNull();
    expect(statSync(tarball).size / 1e6).toBeCloseTo(Number(stated![1]), 1);
    const files = run('tar', ['-tzf', tarball], { cwd: tmp.dir }).stdout.trim().split('\n').length;
    expect(Math.abs(files - Number(stated![2]))).toBeLessThan(25);
  });
});

describe('a project that installed the tarball', () => {
  it('installs without a C compiler: the addon build says why it was skipped and the install succeeds', (ctx) => {
    if (!installed) return ctx.skip();
    expect(installLog).toMatch(/wsel: native BLAS addon not built \(no C compiler/);
    expect(existsSync(path.join(app, 'node_modules/wsel/dist/index.js'))).toBe(true);
    const info = run(path.join(app, 'node_modules/.bin/wsel'), ['info']);
    expect(info.status, said(info)).toBe(0);
    expect(info.stdout).toMatch(/wasm|typescript/i);
  });

  it('type-checks the README library snippets with tsc (strict) and runs them as written', (ctx) => {
    if (!installed) return ctx.skip();
    const snippets = librarySnippets(readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8'));
    expect(snippets.length).toBeGreaterThanOrEqual(5);
    snippets.forEach((code, i) => writeFileSync(path.join(app, `snippet${i + 1}.ts`), code));
    writeFileSync(path.join(app, 'tsconfig.json'), JSON.stringify({
      compilerOptions: {
        target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, outDir: 'out', skipLibCheck: false,
        types: ['node'], typeRoots: [path.join(REPO_ROOT, 'node_modules/@types')],
      },
      include: ['snippet*.ts'],
    }));
    const tsc = run(process.execPath, [path.join(REPO_ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json']);
    expect(tsc.status, said(tsc)).toBe(0);

    const outputs = snippets.map((_, i) => {
      const r = run(process.execPath, [path.join('out', `snippet${i + 1}.js`)]);
      expect(r.status, `snippet ${i + 1}:\n${said(r)}`).toBe(0);
      return r.stdout;
    });
    // select: the student file and its record (README: student.safetensors -> student.selection.json)
    expect(outputs[0]).toMatch(/vit_tiny\.safetensors/);
    expect(existsSync(path.join(app, 'vit_tiny.safetensors'))).toBe(true);
    expect(existsSync(path.join(app, 'vit_tiny.selection.json'))).toBe(true);
    // inspect + lazy read
    expect(outputs[1]).toMatch(/^vit \{[^}]*embed_dim: 192,/m);
    expect(outputs[1]).toMatch(/F32 \[ 1, 1, 192 \]/);
    // train: a run folder and an accuracy
    expect(readdirSync(path.join(app, 'runs/ws'))).toEqual(expect.arrayContaining(['final.safetensors', 'summary.json', 'metrics.jsonl']));
    expect(outputs[2]).toMatch(/^0\.\d+ \d+/);
    // predict: five test images of the trained model, each with its label and three classes with probabilities
    expect(outputs[3]!.trim().split('\n')).toHaveLength(5);
    expect(outputs[3]).toMatch(/^test\[0\] \d (\d [01]\.\d{3} ?){3}$/m);
    // export: an ONNX file taking the run's 28x28 gray images, any batch
    expect(outputs[4]).toMatch(/^\d+ \[ 'batch', 1, 28, 28 \] 10$/m);
    expect(existsSync(path.join(app, 'student.onnx'))).toBe(true);
    // engine: the loss goes down
    const losses = outputs[5]!.trim().split('\n').map((l) => Number(l.split(' ')[1]));
    expect(losses[1]!).toBeLessThan(losses[0]!);
  });

  it('runs `wsel demo` from the installed package (its teacher ships in the tarball)', (ctx) => {
    if (!installed) return ctx.skip();
    const r = run(path.join(app, 'node_modules/.bin/wsel'), ['demo', '--epochs', '1', '--train-size', '64', '--eval-size', '100', '--json']);
    expect(r.status, said(r)).toBe(0);
    const demo = JSON.parse(r.stdout) as { teacher: string; runs: { acc: number }[] };
    expect(demo.teacher).toBe(path.join(app, 'node_modules/wsel/teachers/vit_fmnist.safetensors'));
    expect(demo.runs).toHaveLength(2);
  });

  it('keeps internals internal: a deep import is refused', (ctx) => {
    if (!installed) return ctx.skip();
    const r = run(process.execPath, ['--input-type=module', '-e', "await import('wsel/dist/cli/main.js')"]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/ERR_PACKAGE_PATH_NOT_EXPORTED/);
  });
});
