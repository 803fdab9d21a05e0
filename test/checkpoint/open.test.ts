import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckpointError } from '../../src/checkpoint/index.js';
import { openCheckpoint, openShardedWriter, saveSafetensors } from '../../src/checkpoint/node/index.js';
import { tempDir, torchPickle, writeTorchZip } from './helpers.js';

let dir: string;
beforeAll(() => {
  dir = tempDir();
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const tensor = { name: 'w', dtype: 'F32' as const, shape: [2], data: new Uint8Array(8) };
const folder = (name: string): string => {
  const p = path.join(dir, name);
  fs.mkdirSync(p);
  return p;
};
const torchZip = (file: string): void =>
  writeTorchZip(file, torchPickle([{ name: 'w', storage: 'FloatStorage', key: '0', numel: 2, offset: 0, shape: [2], stride: [1] }]), { 0: new Uint8Array(8) });

describe('openCheckpoint', () => {
  it('detects safetensors by content, whatever the name', () => {
    const p = path.join(dir, 'weights.data');
    saveSafetensors(p, [tensor], {});
    expect(openCheckpoint(p).format).toBe('safetensors');
  });

  it('detects a PyTorch zip by its magic, whatever the name', () => {
    const p = path.join(dir, 'weights.anything');
    torchZip(p);
    const r = openCheckpoint(p);
    expect(r.format).toBe('pytorch');
    expect([...r.tensors.keys()]).toEqual(['w']);
    r.close();
  });

  it('folders: sharded index first, then model.safetensors, then pytorch_model.bin', () => {
    const a = folder('hf-sharded');
    const w = openShardedWriter(path.join(a, 'model.safetensors'), [tensor, { ...tensor, name: 'v' }], {}, 8);
    w.write(new Uint8Array(16));
    w.commit();
    saveSafetensors(path.join(a, 'model.safetensors'), [tensor], {}); // ignored: the index wins
    expect(openCheckpoint(a).format).toBe('safetensors-sharded');
    const b = folder('hf-single');
    saveSafetensors(path.join(b, 'model.safetensors'), [tensor], {});
    torchZip(path.join(b, 'pytorch_model.bin'));
    expect(openCheckpoint(b).format).toBe('safetensors');
    const c = folder('hf-bin');
    torchZip(path.join(c, 'pytorch_model.bin'));
    expect(openCheckpoint(c).format).toBe('pytorch');
  });

  it('clear errors: missing path, empty folder, sharded .bin index', () => {
    const missing = path.join(dir, 'nope.safetensors');
    expect(() => openCheckpoint(missing)).toThrow(CheckpointError);
    expect(() => openCheckpoint(missing)).toThrow(`${missing}: no such file`);
    expect(() => openCheckpoint(folder('empty'))).toThrow(/folder holds no checkpoint \(looked for model.safetensors.index.json/);
    const d = folder('bin-sharded');
    fs.writeFileSync(path.join(d, 'pytorch_model.bin.index.json'), JSON.stringify({ weight_map: { w: 'pytorch_model-00001-of-00002.bin' } }));
    expect(() => openCheckpoint(d)).toThrow(/sharded PyTorch .bin checkpoints are not supported/);
  });

  it('a non-zip .pth gets the PyTorch diagnosis, not a safetensors one', () => {
    const p = path.join(dir, 'text.pth');
    fs.writeFileSync(p, 'not a checkpoint at all');
    expect(() => openCheckpoint(p)).toThrow(/not a PyTorch zip checkpoint/);
  });
});
