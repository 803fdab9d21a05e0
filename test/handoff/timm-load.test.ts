// The README's hand-off to PyTorch: its Python block, as written, loads students made by the `wsel select`
// commands it names. timm and safetensors cannot be installed here; stand-ins (stand-ins/) build the
// plain-PyTorch modules of test/parity/reference.py under timm's names and read safetensors files.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convnext, vit } from '../../src/arch/index.js';
import { CONVNEXT_DEFAULTS } from '../../src/arch/convnext.js';
import { writeSyntheticCheckpoint } from '../../src/arch/synthetic.js';
import { VIT_DEFAULTS } from '../../src/arch/vit.js';
import { makeTmpDir, REPO_ROOT, runPython } from '../helpers.js';
import { available, TORCH_PYTHON } from '../requirements.js';

const tmp = makeTmpDir('wsel-handoff-');
afterAll(() => tmp.cleanup());

const STAND_INS = path.join(REPO_ROOT, 'test/handoff/stand-ins');
const PYTHONPATH = [STAND_INS, path.join(REPO_ROOT, 'test/parity'), path.join(REPO_ROOT, 'scripts')].join(path.delimiter);

/** The ```python block of the README's "Handing off to PyTorch" section. */
function handoffBlock(): string {
  const readme = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('\n## Handing off to PyTorch\n');
  const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
  const blocks = [...section.matchAll(/```python\n([\s\S]*?)```/g)].map((m) => m[1]!);
  expect(blocks).toHaveLength(1);
  return blocks[0]!;
}

/** Shell words of a one-line command: bare words and '...' quoted ones. */
function words(line: string): string[] {
  return [...line.matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2]!);
}

function python(file: string): { code: number | null; out: string } {
  const r = spawnSync(TORCH_PYTHON, [file], { cwd: tmp.dir, encoding: 'utf8', env: { ...process.env, PYTHONPATH, PYTHONDONTWRITEBYTECODE: '1' } });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

describe.skipIf(!available('pytorch'))('README: loading a wsel student in timm', () => {
  beforeAll(() => {
    // The teachers the block's commands name: timm-shaped ViT-S (safetensors) and ConvNeXt-T (a PyTorch .pth).
    writeSyntheticCheckpoint(vit.declare({ ...VIT_DEFAULTS, embed_dim: 384, num_heads: 6 }), tmp.file('vit_small.safetensors'), 1);
    writeSyntheticCheckpoint(convnext.declare({ ...CONVNEXT_DEFAULTS }), tmp.file('convnext_tiny.safetensors'), 2);
    runPython(['-c', `import sys, torch; sys.path.insert(0, ${JSON.stringify(path.join(REPO_ROOT, 'scripts'))}); `
      + `from safetensors_torch import read_safetensors; torch.save(read_safetensors(${JSON.stringify(tmp.file('convnext_tiny.safetensors'))}), ${JSON.stringify(tmp.file('convnext_tiny.pth'))})`]);
    // The demo student, as the README's Training section selects it from the shipped teacher.
    const commands = handoffBlock().split('\n').filter((l) => l.startsWith('# wsel select ')).map((l) => words(l.slice(2)))
      .concat([words(`wsel select --arch vit --teacher ${path.join(REPO_ROOT, 'teachers/vit_fmnist.safetensors')} --student '{"embed_dim":64,"depth":4}' --out student.safetensors`)]);
    expect(commands).toHaveLength(3);
    for (const [, ...args] of commands) {
      const r = spawnSync(process.execPath, [path.join(REPO_ROOT, 'bin/wsel.js'), ...args], { cwd: tmp.dir, encoding: 'utf8' });
      expect(r.status, `wsel ${args.join(' ')}\n${r.stderr}`).toBe(0);
    }
  });

  it('runs the Python block as written: every tensor of each student loads, only the classifier is new', () => {
    writeFileSync(tmp.file('handoff.py'), handoffBlock());
    const r = python('handoff.py');
    expect(r.code, r.out).toBe(0);
  });

  it('the stand-in is strict: a wrong argument, a wrong size or conv_mlp left on fails as it would in timm', () => {
    const cases: [string, RegExp][] = [
      ["timm.create_model('vit_tiny_patch16_224', embed_dims=64)", /unexpected keyword argument 'embed_dims'/],
      ["m = timm.create_model('vit_small_patch16_224', num_classes=10); m.load_state_dict(load_file('vit_tiny.safetensors'), strict=False)", /size mismatch/],
      ["timm.create_model('convnext_femto', num_classes=10)", /conv_mlp=True/],
    ];
    // One interpreter for all cases (importing torch is the slow part): each case's error on its own line.
    const script = ['import timm', 'from safetensors.torch import load_file', ...cases.map(([code]) =>
      `try:\n    ${code}\n    print('no error')\nexcept Exception as e:\n    print(type(e).__name__, str(e).replace(chr(10), ' '))`)];
    writeFileSync(tmp.file('wrong.py'), `${script.join('\n')}\n`);
    const r = python('wrong.py');
    expect(r.code, r.out).toBe(0);
    const lines = r.out.trim().split('\n');
    expect(lines).toHaveLength(cases.length);
    cases.forEach(([code, error], i) => expect(lines[i], code).toMatch(error));
  });
});
