// Small, fast fixtures for the training tests: real MNIST images in tiny splits, tiny model configs, a long
// `wsel train` running in the background.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { loadMnist, stratifiedSubset, takeSubset, type Dataset } from '../../src/data/index.js';
import type { Module } from '../../src/engine/index.js';
import { REPO_ROOT, WSEL_NODE_FLAGS } from '../helpers.js';

let mnist: Dataset | undefined;

/** MNIST restricted to a class-balanced `train` images and `test` test images (the same images when `same`). */
export function tinyMnist(train: number, test = 100, same = false): Dataset {
  mnist ??= loadMnist();
  const tr = takeSubset(mnist.train, stratifiedSubset(mnist.train.labels, train, 1));
  const te = same ? tr : takeSubset(mnist.test, stratifiedSubset(mnist.test.labels, test, 2));
  return { ...mnist, name: 'mnist', train: tr, test: te };
}

export const TINY_VIT = { img_size: 28, patch_size: 7, in_chans: 1, num_classes: 10, embed_dim: 32, depth: 2, num_heads: 2 };
export const TINY_CONVNEXT = { in_chans: 1, num_classes: 10, depths: [1, 1], dims: [16, 32] };

/** Parameters by name, copied. */
export function snapshot(model: Module): Map<string, Float32Array> {
  return new Map(model.namedParameters().map(([n, p]) => [n, p.data.slice()]));
}

/** Names whose values differ in any bit. */
export function differing(a: Map<string, Float32Array>, b: Map<string, Float32Array>): string[] {
  const out: string[] = [];
  for (const [n, x] of a) {
    const y = b.get(n);
    if (!y || y.length !== x.length) { out.push(n); continue; }
    const xb = new Uint32Array(x.buffer, x.byteOffset, x.length);
    const yb = new Uint32Array(y.buffer, y.byteOffset, y.length);
    for (let i = 0; i < xb.length; i++) if (xb[i] !== yb[i]) { out.push(n); break; }
  }
  return out;
}

/** `wsel ARGS` in the background, once `ready(stderr so far)` holds; `closed` resolves to its exit code. */
export async function startWsel(args: string[], ready: (stderr: string) => boolean): Promise<{
  child: ChildProcess; stderr: () => string; closed: Promise<number | null>;
}> {
  const child = spawn(process.execPath, [...WSEL_NODE_FLAGS, path.join(REPO_ROOT, 'bin/wsel.js'), ...args], { cwd: REPO_ROOT });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const closed = new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      if (ready(stderr)) {
        clearInterval(timer);
        resolve();
      }
    }, 50);
  });
  return { child, stderr: () => stderr, closed };
}
