// PyTorch views (transposed, expanded) are read through their strides: only the elements asked for, checked
// against their storage before anything is read.
import fs from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { openPytorch, saveSafetensors } from '../../src/checkpoint/node/index.js';
import { runWsel } from '../fuzz/run-wsel.js';
import { makeTmpDir } from '../helpers.js';
import { torchPickle, writeTorchZip, type PickledTensor } from './helpers.js';

const tmp = makeTmpDir('wsel-views-');
afterAll(() => tmp.cleanup());

const SIDE = 1 << 14; // an expanded view of SIDE x SIDE = 2^28 elements (1 GiB as float32) over SIDE stored ones
const row = Float32Array.from({ length: SIDE }, (_, i) => i + 0.5);

function writeViews(name: string, tensors: PickledTensor[], storage = new Uint8Array(row.buffer)): string {
  const p = tmp.file(name);
  writeTorchZip(p, torchPickle(tensors), { 0: storage });
  return p;
}

const expanded = (extra: Partial<PickledTensor> = {}): PickledTensor => ({
  name: 'w', storage: 'FloatStorage', key: '0', numel: SIDE, offset: 0, shape: [SIDE, SIDE], stride: [0, 1], ...extra,
});

describe('strided views', () => {
  it('an expanded view reads the requested rows from its one stored row', () => {
    const r = openPytorch(writeViews('expanded.pth', [expanded()]));
    const rowBytes = SIDE * 4;
    const got = new Float32Array(r.readBytes('w', 1000 * rowBytes, 3 * rowBytes).slice().buffer);
    for (let k = 0; k < 3; k++) expect(got.subarray(k * SIDE, (k + 1) * SIDE)).toEqual(row);
    // A range that starts and ends inside elements.
    const bytes = r.readBytes('w', 5 * rowBytes + 6, 9);
    expect([...bytes]).toEqual([...new Uint8Array(row.buffer, 6, 9)]);
    r.close();
  });

  it('a transposed view with its columns far apart is read element by element, in row-major order', () => {
    // 3 x 4 view over a storage of 4 x 3 with strides (1, 3): element (i, j) is storage[i + 3 j].
    const r = openPytorch(writeViews('transposed.pth', [{ ...expanded(), numel: 12, shape: [3, 4], stride: [1, 3] }]));
    expect([...new Float32Array(r.readBytes('w').buffer)]).toEqual([0, 3, 6, 9, 1, 4, 7, 10, 2, 5, 8, 11].map((i) => i + 0.5));
    // Far apart: a stride of 5000 between the 3 elements of a row.
    const far = openPytorch(writeViews('far.pth', [{ ...expanded(), shape: [2, 3], stride: [1, 5000] }]));
    expect([...new Float32Array(far.readBytes('w').buffer)]).toEqual([0, 5000, 10000, 1, 5001, 10001].map((i) => i + 0.5));
    r.close();
    far.close();
  });

  it('wsel select from a 2^28-element expanded view stays small and keeps the right elements', async () => {
    const teacher = writeViews('expanded-cli.pth', [expanded()]);
    const template = tmp.file('template.safetensors');
    saveSafetensors(template, [{ name: 'w', dtype: 'F32', shape: [64, 64], data: new Uint8Array(64 * 64 * 4) }]);
    const out = tmp.file('student.safetensors');
    const run = await runWsel(['select', '--arch', 'generic', '--teacher', teacher, '--student-template', template, '--out', out, '--no-progress']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    // Reading the view whole was 1 GiB.
    expect(run.maxRssMiB!).toBeLessThan(300);
    const student = new Float32Array(fs.readFileSync(out).buffer.slice(fs.readFileSync(out).length - 64 * 64 * 4));
    for (let i = 0; i < 64; i++) for (let j = 0; j < 64; j++) expect(student[i * 64 + j]).toBe(j * (SIDE / 64) + 0.5);
  });

  it('refuses views that do not fit their storage, or declare more than a file can describe', () => {
    const fails = (name: string, t: Partial<PickledTensor>) => () => openPytorch(writeViews(name, [expanded(t)]));
    expect(fails('offset.pth', { offset: SIDE })).toThrow(/runs past its storage 0 of 16384 elements/);
    expect(fails('stride.pth', { stride: [1, 1] })).toThrow(/runs past its storage/);
    expect(fails('huge.pth', { shape: [2 ** 30, 2 ** 30], stride: [0, 0] })).toThrow(/declares more elements than any file can describe/);
    expect(fails('rank.pth', { shape: Array(65).fill(1), stride: Array(65).fill(0) })).toThrow(/malformed _rebuild_tensor_v2 arguments/);
    expect(fails('mismatch.pth', { shape: [2, 2], stride: [1] })).toThrow(/malformed _rebuild_tensor_v2 arguments/);
    expect(fails('empty-offset.pth', { offset: SIDE + 1, shape: [0, 4] })).toThrow(/runs past its storage/);
  });
});
