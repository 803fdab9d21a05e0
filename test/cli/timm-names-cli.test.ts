// timm model names on the command line, as a user types them: --student NAME, --teacher-config NAME,
// {"name": ..., overrides}, train --model NAME, and inspect naming the timm models a checkpoint's shapes match.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convnext, vit } from '../../src/arch/index.js';
import { CONVNEXT_DEFAULTS } from '../../src/arch/convnext.js';
import { writeSyntheticCheckpoint } from '../../src/arch/synthetic.js';
import { VIT_DEFAULTS } from '../../src/arch/vit.js';
import { openCheckpoint } from '../../src/checkpoint/node/open.js';
import { makeTmpDir, wsel } from '../helpers.js';

const tmp = makeTmpDir();
afterAll(() => tmp.cleanup());

/** Femto's widths and depths with Linear MLPs (timm's convnext_femto has 1x1-conv MLPs). */
const FEMTO_LINEAR = { ...CONVNEXT_DEFAULTS, depths: [2, 2, 6, 2], dims: [48, 96, 192, 384] };
const VIT_TINY = { ...VIT_DEFAULTS, embed_dim: 192, num_heads: 3 };
let convTeacher = '';
let vitTeacher = '';
beforeAll(() => {
  convTeacher = tmp.file('convnext_linear.safetensors');
  writeSyntheticCheckpoint(convnext.declare(FEMTO_LINEAR), convTeacher, 1);
  vitTeacher = tmp.file('vit_tiny.safetensors');
  writeSyntheticCheckpoint(vit.declare(VIT_TINY), vitTeacher, 2);
}, 60_000);

describe('timm names', () => {
  it('--student NAME selects that architecture (here with 1x1-conv MLPs); inspect names it', () => {
    const out = tmp.file('femto.safetensors');
    const r = wsel('select', '--teacher', convTeacher, '--student', 'convnext_femto', '--out', out, '--json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).studentConfig).toMatchObject({ dims: [48, 96, 192, 384], conv_mlp: true, num_classes: 1000 });
    const reader = openCheckpoint(out);
    expect(reader.tensors.get('stages.2.blocks.5.mlp.fc1.weight')!.shape).toEqual([768, 192, 1, 1]);
    reader.close();
    const i = wsel('inspect', out, '--json');
    expect(i.code).toBe(0);
    expect(JSON.parse(i.stdout).timm_names).toEqual(['convnext_femto']);
    // The Linear teacher has femto's widths but not its layout: no name matches.
    expect(wsel('inspect', convTeacher).stdout).toMatch(/timm names with these shapes: none/);
  });

  it('inspect lists every name with the same shapes and says what it assumed', () => {
    const r = wsel('inspect', vitTeacher);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/timm names with these shapes: vit_tiny_patch16_224, deit_tiny_patch16_224/);
    expect(r.stdout).toMatch(/assumed \(not shown by the shapes, not recorded in the file\): num_heads/);
  });

  it('inspect shows the recorded layer-scale value, not a guess; without a record it says it assumed one', () => {
    const config = { ...VIT_DEFAULTS, img_size: 16, patch_size: 8, embed_dim: 32, num_heads: 2, depth: 1, num_classes: 3, init_values: 0.1 };
    const recorded = tmp.file('ls-recorded.safetensors');
    writeSyntheticCheckpoint(vit.declare(config), recorded, 3, { 'wsel.arch': 'vit', 'wsel.config': JSON.stringify(config) });
    const a = JSON.parse(wsel('inspect', recorded, '--json').stdout);
    expect(a.config).toMatchObject({ init_values: 0.1, num_heads: 2 });
    expect(a.assumed).toEqual([]);
    const bare = tmp.file('ls-bare.safetensors');
    writeSyntheticCheckpoint(vit.declare(config), bare, 3);
    const b = JSON.parse(wsel('inspect', bare, '--json').stdout);
    expect(b.assumed).toEqual(['num_heads', 'init_values']);
  });

  it('--teacher-config NAME must describe the teacher; a name with overrides makes the student', () => {
    const out = tmp.file('vit6.safetensors');
    const r = wsel('select', '--teacher', vitTeacher, '--teacher-config', 'vit_tiny_patch16_224', '--student', '{"name":"vit_tiny_patch16_224","depth":6}', '--out', out, '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).studentConfig).toMatchObject({ embed_dim: 192, num_heads: 3, depth: 6 });
    const bad = wsel('select', '--teacher', vitTeacher, '--teacher-config', 'vit_tiny_patch16_384', '--student', '{}', '--out', tmp.file('x.safetensors'));
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--teacher-config "vit_tiny_patch16_384" describes other shapes than the teacher's: pos_embed is \[1, 197, 192\] in the file, \[1, 577, 192\] for it/);
    const typo = wsel('select', '--teacher', vitTeacher, '--student', 'vit_tiny_patch16_244', '--out', tmp.file('y.safetensors'));
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/"vit_tiny_patch16_244" is not a timm model name wsel knows \(closest: vit_tiny_patch16_224/);
    const other = wsel('select', '--teacher', vitTeacher, '--student', 'convnext_atto', '--out', tmp.file('z.safetensors'));
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(/"convnext_atto" is a convnext model, not a vit one/);
  });

  it('train --model NAME builds that model (data-sized head, 1x1-conv MLPs for convnext_atto)', () => {
    const out = tmp.file('atto-run');
    const r = wsel('train', '--model', 'convnext_atto', '--data', 'mnist', '--train-size', '16', '--eval-size', '20', '--steps', '1',
      '--batch-size', '8', '--out', out, '--json');
    expect(r.stderr).not.toMatch(/Error/);
    expect(r.code).toBe(0);
    const summary = JSON.parse(readFileSync(path.join(out, 'summary.json'), 'utf8'));
    expect(summary.family).toBe('convnext');
    expect(summary.config).toMatchObject({ depths: [2, 2, 6, 2], dims: [40, 80, 160, 320], conv_mlp: true, num_classes: 10, in_chans: 3 });
    const bad = wsel('train', '--model', 'convnext_fempto', '--data', 'mnist', '--out', tmp.file('bad-run'));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--model must be a family \(vit, convnext, mixer\) or a timm model name; got "convnext_fempto" \(closest names: convnext_femto/);
  }, 120_000);
});
