// The `wsel` binary as users run it: exit codes, messages, help, and files.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { vit } from '../../src/arch/index.js';
import { writeSyntheticCheckpoint } from '../../src/arch/synthetic.js';
import { VIT_DEFAULTS } from '../../src/arch/vit.js';
import { recipeFor } from '../../src/selection/recipes.js';
import { makeTmpDir, REPO_ROOT, wsel } from '../helpers.js';

const tmp = makeTmpDir();
afterAll(() => tmp.cleanup());

let teacher = '';
beforeAll(() => {
  teacher = tmp.file('teacher.safetensors');
  writeSyntheticCheckpoint(vit.declare({ ...VIT_DEFAULTS, img_size: 32, patch_size: 8, embed_dim: 128, num_heads: 2, depth: 4, num_classes: 10 }), teacher, 1);
});

describe('wsel select', () => {
  it('selects, prints a summary, writes the student and its record', () => {
    const out = tmp.file('student.safetensors');
    const r = wsel('select', '--arch', 'vit', '--teacher', teacher, '--student', '{"embed_dim":64,"depth":2}', '--out', out);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/wrote .*student\.safetensors/);
    // The default recipe (best) is the evidence's choice for the family: uniform layers keep 0 and 2 of 4.
    const best = recipeFor('best', 'vit');
    expect(r.stdout).toMatch(/blocks: teacher layers 0, 2/);
    expect(r.stdout).toContain(`rules: elements ${best.elements}, layers ${best.layers}, heads ${best.heads} (the unset ones from --recipe best)`);
    expect(existsSync(out)).toBe(true);
    expect(existsSync(tmp.file('student.selection.json'))).toBe(true);
  });

  it('--recipe reference is the paper\'s rule; a rule given overrides either recipe; the record says which', () => {
    const options = (out: string) => JSON.parse(readFileSync(out.replace('.safetensors', '.selection.json'), 'utf8')).options;
    const ref = tmp.file('ref.safetensors');
    const r = wsel('select', '--arch', 'vit', '--teacher', teacher, '--student', '{"embed_dim":64,"depth":2}', '--recipe', 'reference', '--out', ref);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/blocks: teacher layers 0, 1/);
    expect(options(ref)).toMatchObject({ recipe: 'reference', elements: 'uniform', layers: 'first', heads: 'flat' });
    const mixed = tmp.file('mixed.safetensors');
    expect(wsel('select', '--arch', 'vit', '--teacher', teacher, '--student', '{"embed_dim":64,"depth":2}', '--layers', 'last', '--out', mixed).code).toBe(0);
    expect(options(mixed)).toMatchObject({ ...recipeFor('best', 'vit'), recipe: 'best', layers: 'last' });
    const bad = wsel('select', '--arch', 'vit', '--teacher', teacher, '--student', '{}', '--recipe', 'newest', '--out', tmp.file('x.safetensors'));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--recipe.*best, reference/);
  });

  it('a recipe\'s whole heads give way to flat heads for a student with narrower heads; --heads whole asked for refuses it', () => {
    // The teacher's 2 heads are 64 wide; a 64-wide student with 2 heads has 32-wide heads.
    const narrow = '{"embed_dim":64,"depth":2,"num_heads":2}';
    const out = tmp.file('narrow.safetensors');
    const r = wsel('select', '--arch', 'vit', '--teacher', teacher, '--student', narrow, '--out', out);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/heads flat \(the unset ones from --recipe best\)/);
    const asked = wsel('select', '--arch', 'vit', '--teacher', teacher, '--student', narrow, '--heads', 'whole', '--out', tmp.file('x.safetensors'));
    expect(asked.code).toBe(1);
    expect(asked.stderr).toMatch(/--heads whole keeps the teacher's 64-wide heads/);
  });

  it('takes the student config from a file and prints JSON with --json', () => {
    const config = tmp.file('student.json');
    writeFileSync(config, JSON.stringify({ embed_dim: 64 }));
    const r = wsel('select', '--arch', 'vit', '--teacher', teacher, '--student', config, '--out', tmp.file('s2.safetensors'), '--json', '--elements', 'random', '--seed', '2', '--heads', 'whole');
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result.studentConfig.embed_dim).toBe(64);
    expect(result.studentConfig.num_heads).toBe(1);
  });

  it('exits non-zero with a message naming the problem', () => {
    const bad = wsel('select', '--arch', 'vit', '--teacher', tmp.file('missing.safetensors'), '--student', '{}', '--out', tmp.file('x.safetensors'));
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/missing\.safetensors/);
    const json = wsel('select', '--arch', 'vit', '--teacher', teacher, '--student', '{embed_dim:1', '--out', tmp.file('x.safetensors'));
    expect(json.code).toBe(2);
    expect(json.stderr).toMatch(/--student: not valid JSON/);
    const choice = wsel('select', '--arch', 'resnet', '--teacher', teacher, '--student', '{}', '--out', tmp.file('x.safetensors'));
    expect(choice.code).not.toBe(0);
    expect(choice.stderr).toMatch(/--arch must be one of vit, convnext, mixer, generic/);
    const wide = wsel('select', '--arch', 'vit', '--teacher', teacher, '--student', '{"embed_dim":256}', '--out', tmp.file('x.safetensors'));
    expect(wide.code).toBe(1);
    expect(wide.stderr).toMatch(/256.*128/);
    const deep = wsel('select', '--arch', 'vit', '--teacher', teacher, '--student', '{"depth":99}', '--out', tmp.file('x.safetensors'));
    expect(deep.code).toBe(1);
    expect(deep.stderr).toMatch(/^wsel: error: blocks: the student has 99 layers but the teacher only \d+\n$/);
    const layers = wsel('select', '--arch', 'vit', '--teacher', teacher, '--student', '{}', '--layers', '0,1,50', '--out', tmp.file('x.safetensors'));
    expect(layers.code).toBe(1);
    expect(layers.stderr).toMatch(/^wsel: error: --layers for blocks: 3 indices given/);
    expect(existsSync(tmp.file('x.safetensors'))).toBe(false);
  });

  it("does not copy what describes the teacher's own training into the student", () => {
    const out = tmp.file('from-shipped.safetensors');
    const r = wsel('select', '--teacher', path.join(REPO_ROOT, 'teachers/vit_fmnist.safetensors'), '--student', '{"embed_dim":64,"depth":3,"num_heads":2}', '--out', out);
    expect(r.code, r.stderr).toBe(0);
    const meta = JSON.parse(wsel('inspect', '--json', out).stdout).metadata as Record<string, string>;
    expect(Object.keys(meta).filter((k) => k.startsWith('wsel.')).sort()).toEqual(
      ['wsel.arch', 'wsel.layer_map', 'wsel.method', 'wsel.seed', 'wsel.student_config', 'wsel.teacher', 'wsel.version']);
    expect(JSON.parse(meta['wsel.student_config']!).depth).toBe(3);
  });

  it('removes temp files that a killed run left for the same output', () => {
    const out = tmp.file('again.safetensors');
    const stale = `${out}.tmp-3999999`; // a pid no process has (above the usual pid_max)
    writeFileSync(stale, 'half a checkpoint');
    expect(wsel('select', '--arch', 'vit', '--teacher', teacher, '--student', '{"embed_dim":64}', '--out', out).code).toBe(0);
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(out)).toBe(true);
  });

  it('never writes over a teacher file, whatever --out names', () => {
    const before = readFileSync(teacher);
    // The writer turns "X.safetensors.index.json" into X.safetensors when everything fits in one file.
    const r = wsel('select', '--arch', 'vit', '--teacher', teacher, '--student', '{"embed_dim":64}', '--out', `${teacher}.index.json`);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/would overwrite .*teacher\.safetensors, which the teacher is read from/);
    expect(readFileSync(teacher).equals(before)).toBe(true);
    expect(readdirSync(tmp.dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('--help teaches the options', () => {
    const r = wsel('select', '--help');
    expect(r.code).toBe(0);
    for (const flag of ['--arch', '--teacher', '--student', '--out', '--elements', '--layers', '--heads', '--exclude', '--keep-head', '--seed', '--calib', '--dtype', '--student-template', '--teacher-config', '--max-shard-size', '--json']) {
      expect(r.stdout).toContain(flag);
    }
    expect(r.stdout).toContain('Examples:');
  });
});

describe('wsel select --elements activation', () => {
  const shipped = path.join(REPO_ROOT, 'teachers/vit_fmnist.safetensors');
  const run = (out: string, ...extra: string[]) => wsel('select', '--arch', 'vit', '--teacher', shipped, '--student', '{"embed_dim":64,"depth":4}', '--out', out, ...extra);

  it('scores the teacher on --calib images: same bytes for the same seed, recorded in the output', () => {
    const a = tmp.file('act-a.safetensors');
    const b = tmp.file('act-b.safetensors');
    expect(run(a, '--elements', 'activation', '--calib', 'mnist:64', '--seed', '1').code).toBe(0);
    expect(run(b, '--elements', 'activation', '--calib', 'mnist:64', '--seed', '1').code).toBe(0);
    expect(readFileSync(a).equals(readFileSync(b))).toBe(true);
    const record = JSON.parse(readFileSync(tmp.file('act-a.selection.json'), 'utf8'));
    expect(record.calibration).toMatchObject({ data: 'mnist', images: 64, seed: 1, split: 'train' });
    expect(record.spaces.embed.rule).toBe('activation');
    const uniform = tmp.file('uniform.safetensors');
    expect(run(uniform, '--elements', 'uniform').code).toBe(0);
    expect(readFileSync(a).equals(readFileSync(uniform))).toBe(false);
  });

  it('refuses what it cannot do, naming the flag', () => {
    const noCalib = run(tmp.file('x.safetensors'), '--elements', 'activation');
    expect(noCalib.code).toBe(2);
    expect(noCalib.stderr).toMatch(/--elements activation needs calibration images: --calib DATA\[:N\]/);
    const unused = run(tmp.file('x.safetensors'), '--calib', 'mnist');
    expect(unused.code).toBe(2);
    expect(unused.stderr).toMatch(/--calib is used by --elements activation only/);
    const generic = wsel('select', '--arch', 'generic', '--teacher', shipped, '--student-template', shipped, '--out', tmp.file('x.safetensors'), '--elements', 'activation', '--calib', 'mnist');
    expect(generic.code).toBe(2);
    expect(generic.stderr).toMatch(/ViT, ConvNeXt and MLP-Mixer teachers only/);
    const tooMany = run(tmp.file('x.safetensors'), '--elements', 'activation', '--calib', 'mnist:70000');
    expect(tooMany.code).toBe(1);
    expect(tooMany.stderr).toMatch(/the train split of mnist has only 60000 images/);
    expect(existsSync(tmp.file('x.safetensors'))).toBe(false);
  });
});

describe('wsel inspect', () => {
  it('reports tensors, parameters and the detected architecture', () => {
    const r = wsel('inspect', teacher, '--json');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.architecture).toBe('vit');
    expect(report.config.embed_dim).toBe(128);
    expect(report.config.depth).toBe(4);
    expect(report.tensors.find((t: { name: string }) => t.name === 'blocks.0.attn.qkv.weight').shape).toEqual([384, 128]);
    expect(report.parameters).toBe(report.tensors.reduce((n: number, t: { shape: number[] }) => n + t.shape.reduce((a, b) => a * b, 1), 0));
    const text = wsel('inspect', teacher);
    expect(text.stdout).toMatch(/architecture: vit/);
    expect(text.stdout).toMatch(/parameters: /);
  });

  it('fails clearly on a file that is not a checkpoint', () => {
    const junk = tmp.file('junk.safetensors');
    writeFileSync(junk, 'not a checkpoint at all');
    const r = wsel('inspect', junk);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/junk\.safetensors/);
  });
});
