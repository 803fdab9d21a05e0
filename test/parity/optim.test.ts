// Optimizer parity with torch.optim on fixed gradients (no model noise), default eps 1e-8.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { AdamW, Rng, SGD, tensor, type Optimizer, type Tensor } from '../../src/engine/index.js';
import { readF32, relErr, runPython, removeCaseDirs, tempCaseDir, writeF32 } from './torch.js';
import { available } from '../requirements.js';

const SCRIPT = join(fileURLToPath(new URL('.', import.meta.url)), 'optim_reference.py');

function compare(kind: 'adamw' | 'sgd', options: Record<string, unknown>, make: (groups: { params: Tensor[]; weightDecay: number }[]) => Optimizer): void {
  const rng = new Rng(11);
  const shapes: Record<string, number[]> = { w: [4, 3], b: [3], g: [5] };
  const params: Record<string, Tensor> = {};
  for (const [n, s] of Object.entries(shapes)) {
    params[n] = tensor(new Float32Array(s.reduce((a, c) => a * c, 1)).map(() => rng.normal()), s, { requiresGrad: true });
  }
  const steps = 5;
  const dir = tempCaseDir(`optim-${kind}`);
  for (const [n, p] of Object.entries(params)) writeF32(join(dir, `param.${n}.f32`), p.data);
  // Gradients of very different scales, including exact zeros.
  const grads: Record<string, Float32Array>[] = [];
  for (let s = 0; s < steps; s++) {
    const g: Record<string, Float32Array> = {};
    for (const [n, p] of Object.entries(params)) {
      g[n] = new Float32Array(p.size).map((_, i) => (i === 0 ? 0 : rng.normal() * 10 ** (i % 4 - 2)));
      writeF32(join(dir, `grad${s}.${n}.f32`), g[n]);
    }
    grads.push(g);
  }
  const groups = [{ names: ['w'], wd: 0.1 }, { names: ['b', 'g'], wd: 0 }];
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify({
    optimizer: kind, options, steps, shapes,
    groups: groups.map((g) => ({ params: g.names, weight_decay: g.wd })),
  }));
  runPython(SCRIPT, [dir]);
  const opt = make(groups.map((g) => ({ params: g.names.map((n) => params[n]!), weightDecay: g.wd })));
  for (let s = 0; s < steps; s++) {
    for (const [n, p] of Object.entries(params)) p.grad = Float32Array.from(grads[s]![n]!);
    opt.step();
  }
  for (const [n, p] of Object.entries(params)) {
    expect(relErr(p.data, readF32(join(dir, 'ref', `after.${n}.f32`))), n).toBeLessThan(1e-6);
  }
}

afterAll(removeCaseDirs);

describe.skipIf(!available('pytorch'))('optimizer parity with torch.optim', () => {
  it('AdamW (eps 1e-8, decay groups)', () => {
    const o = { lr: 0.01, betas: [0.9, 0.95] as [number, number], eps: 1e-8 };
    compare('adamw', o, (g) => new AdamW(g, o));
  });
  it('SGD momentum, dampening, nesterov', () => {
    const o1 = { lr: 0.1, momentum: 0.9, dampening: 0.1, nesterov: false };
    compare('sgd', o1, (g) => new SGD(g, o1));
    const o2 = { lr: 0.05, momentum: 0.8, dampening: 0, nesterov: true };
    compare('sgd', o2, (g) => new SGD(g, o2));
  });
});
