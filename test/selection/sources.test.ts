// The portable entry points, as a browser uses them: teachers read from in-memory sources (a dropped file, a
// dropped folder) and students written into memory sinks give the same bytes as the path-based CLI functions.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeSyntheticHfModel } from '../../src/arch/hf-synthetic.js';
import { llama, vit } from '../../src/arch/index.js';
import { writeSyntheticCheckpoint } from '../../src/arch/synthetic.js';
import { VIT_DEFAULTS } from '../../src/arch/vit.js';
import {
  concatChunks, memorySinks, memorySource, openCheckpointFiles, openCheckpointSource, type ByteSource,
} from '../../src/checkpoint/index.js';
import { openCheckpoint } from '../../src/checkpoint/node/open.js';
import { hfTeacherFromFiles } from '../../src/selection/hf-folder.js';
import { select } from '../../src/selection/node/select.js';
import { selectStudent } from '../../src/selection/select.js';
import { torchPickle, writeTorchZip } from '../checkpoint/helpers.js';
import { llamaJson } from '../llm/helpers.js';
import { makeTmpDir } from '../helpers.js';

const tmp = makeTmpDir();
afterAll(() => tmp.cleanup());

const fileIn = (file: string): ByteSource => memorySource(path.basename(file), fs.readFileSync(file));
const folderIn = (dir: string): Map<string, ByteSource> =>
  new Map(fs.readdirSync(dir).map((name) => [name, fileIn(path.join(dir, name))]));

const TEACHER = { ...VIT_DEFAULTS, img_size: 32, patch_size: 8, embed_dim: 64, num_heads: 4, depth: 4, num_classes: 10 };
let vitTeacher = '';
beforeAll(() => {
  vitTeacher = tmp.file('vit.safetensors');
  writeSyntheticCheckpoint(vit.declare(TEACHER), vitTeacher, 3);
});

describe('selection over sources and sinks', () => {
  it('a ViT file teacher: the same student, shards, index and record as select() writes to disk', () => {
    const options = { arch: 'vit' as const, student: { embed_dim: 32, num_heads: 2, depth: 2 }, maxShardSize: 20_000 };
    const outDir = tmp.file('vit-disk');
    fs.mkdirSync(outDir);
    const disk = select({ ...options, teacher: vitTeacher, out: path.join(outDir, 'student.safetensors') });
    expect(disk.files.length).toBeGreaterThan(2);

    const memory = memorySinks();
    const reader = openCheckpointSource(fileIn(vitTeacher));
    const result = selectStudent(options, { reader, name: 'vit.safetensors' }, { out: 'student.safetensors', open: memory.open });
    expect(result.files).toEqual(disk.files.map((f) => path.basename(f)));
    expect([...memory.files.keys()].sort()).toEqual(fs.readdirSync(outDir).sort());
    for (const [name, chunks] of memory.files) {
      expect(Buffer.from(concatChunks(chunks)).equals(fs.readFileSync(path.join(outDir, name))), name).toBe(true);
    }
  });

  it('a Hugging Face folder teacher (sharded): every file of the student folder is the same', () => {
    const teacherDir = tmp.file('llama');
    writeSyntheticHfModel(teacherDir, llama, llamaJson(), { seed: 1, maxShardSize: 40_000 });
    const options = { arch: 'auto' as const, student: { hidden_size: 32, num_hidden_layers: 2 }, maxShardSize: 30_000 };
    const outDir = tmp.file('llama-small');
    select({ ...options, teacher: teacherDir, out: outDir });

    const files = folderIn(teacherDir);
    const reader = openCheckpointFiles(files, 'llama');
    const hf = hfTeacherFromFiles('llama', files, 'auto');
    const memory = memorySinks();
    selectStudent(options, { reader, name: 'llama', hf }, { out: 'llama-small', open: memory.open });
    expect([...memory.files.keys()].sort()).toEqual(fs.readdirSync(outDir).sort());
    for (const [name, chunks] of memory.files) {
      expect(Buffer.from(concatChunks(chunks)).equals(fs.readFileSync(path.join(outDir, name))), name).toBe(true);
    }
  });
});

describe('readers over sources', () => {
  it('a PyTorch zip from memory reads as from disk, views included', () => {
    const p = tmp.file('views.pth');
    const storage = new Uint8Array(Float32Array.from({ length: 12 }, (_, i) => i * 0.5).buffer);
    writeTorchZip(p, torchPickle([
      { name: 'w', storage: 'FloatStorage', key: '0', numel: 12, offset: 0, shape: [3, 4], stride: [4, 1] },
      { name: 'wt', storage: 'FloatStorage', key: '0', numel: 12, offset: 1, shape: [3, 3], stride: [1, 4] },
    ]), { 0: storage });
    const disk = openCheckpoint(p);
    const memory = openCheckpointSource(fileIn(p));
    expect([...memory.tensors.keys()]).toEqual(['w', 'wt']);
    for (const name of ['w', 'wt']) expect(memory.readBytes(name)).toEqual(disk.readBytes(name));
    disk.close();
    memory.close();
  });
});
