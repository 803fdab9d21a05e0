// Common mistakes get a message that names the actual problem (one line, the right exit code, nothing written).
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTmpDir, REPO_ROOT, wsel } from '../helpers.js';

const tmp = makeTmpDir();
afterAll(() => tmp.cleanup());

const VIT_TEACHER = path.join(REPO_ROOT, 'teachers/vit_fmnist.safetensors');
const CONVNEXT = path.join(REPO_ROOT, 'teachers/convnext_fmnist.safetensors');

/** One line on stderr, exit code `code`, nothing on stdout. */
function refused(r: ReturnType<typeof wsel>, code: number): string {
  expect(r.code, r.stderr).toBe(code);
  expect(r.stdout).toBe('');
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  return r.stderr;
}

describe('JSON arguments', () => {
  const select = (student: string) => wsel('select', '--arch', 'vit', '--teacher', VIT_TEACHER, '--student', student, '--out', tmp.file('s.safetensors'));

  it('a missing .json file is "file not found", not a JSON syntax error', () => {
    expect(refused(select('student.json'), 2)).toBe('wsel: --student student.json: file not found\n');
    expect(refused(select('configs/none.json'), 2)).toMatch(/configs\/none\.json: file not found/);
    expect(existsSync(tmp.file('s.safetensors'))).toBe(false);
  });

  it('a checkpoint given as a config is named as binary, without printing its bytes', () => {
    const err = refused(wsel('train', '--model', 'vit', '--config', VIT_TEACHER, '--data', 'mnist', '--out', tmp.file('run')), 2);
    expect(err).toMatch(/--config .*vit_fmnist\.safetensors: a binary file \(a checkpoint\?\), not a JSON config/);
    expect(err).toMatch(/^[\x20-\x7e\n]*$/); // printable ASCII only
    expect(existsSync(tmp.file('run'))).toBe(false);
  });

  it('a text file that is not JSON names the file and the parse error, not its contents', () => {
    const notJson = tmp.file('notes.json');
    writeFileSync(notJson, 'embed_dim = 192\n'.repeat(200));
    const err = refused(select(notJson), 2);
    expect(err).toMatch(/notes\.json: not valid JSON \(Unexpected token 'e'\)\n$/);
    expect(err.length).toBeLessThan(200);
  });

  it('a word that is neither JSON, a file nor a model name says so', () => {
    expect(refused(select('embed_dim'), 2)).toMatch(/"embed_dim" is not a timm model name wsel knows .*give a name, JSON like .*, or a \.json file/);
  });
});

describe('numbers', () => {
  it('--lr abc asks for a positive number (not ">= 5e-324")', () => {
    const err = refused(wsel('train', '--model', 'vit', '--lr', 'abc', '--data', 'mnist', '--out', tmp.file('run')), 2);
    expect(err).toBe('wsel: --lr must be a number > 0, got "abc"\n');
  });
});

describe('checkpoints of another family', () => {
  it('--model vit --init a ConvNeXt file says it is a ConvNeXt (from its wsel.arch metadata)', () => {
    const err = refused(wsel('train', '--model', 'vit', '--init', CONVNEXT, '--data', 'mnist', '--out', tmp.file('run')), 1);
    expect(err).toMatch(/convnext_fmnist\.safetensors: holds a ConvNeXt \(its wsel\.arch metadata\), not the ViT --model vit asks for; drop --model/);
    expect(existsSync(tmp.file('run'))).toBe(false);
  });

  it('each command names the flag it took the family from: --kd-model for a KD teacher, --arch for prune', () => {
    const kd = wsel('train', '--init', VIT_TEACHER, '--reset-head', '--kd-teacher', CONVNEXT, '--kd-model', 'vit', '--data', 'mnist', '--out', tmp.file('kd'));
    expect(kd.code).toBe(1);
    expect(kd.stderr.trim().split('\n').pop()).toMatch(/convnext_fmnist\.safetensors: holds a ConvNeXt \(its wsel\.arch metadata\), not the ViT --kd-model vit asks for; drop --kd-model/);
    expect(existsSync(tmp.file('kd'))).toBe(false);
    const prune = refused(wsel('prune', '--teacher', CONVNEXT, '--arch', 'vit', '--params', '1000', '--out', tmp.file('p.safetensors')), 1);
    expect(prune).toMatch(/not the ViT --arch vit asks for; drop --arch/);
    expect(existsSync(tmp.file('p.safetensors'))).toBe(false);
  });
});
