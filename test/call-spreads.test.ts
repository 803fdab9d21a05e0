// Spreading an array into a call (Math.max(...values), list.push(...items)) puts every element on the stack: a
// few hundred thousand elements overflow it. In src, only fixed-arity forwards may spread; anything sized by
// data (tensors, files, classes, runs) must loop instead.
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './helpers.js';

/** `file: spread expression` pairs whose length is fixed by the code, not by data. */
const FIXED_ARITY = new Set([
  'src/arch/builder.ts: axes', // the axes of one tensor (its rank)
  'src/arch/convnext.ts: fcAxes', // the two axes of a Linear
  'src/engine/autograd.ts: inputs', // an op's inputs
  'src/engine/gradcheck.ts: inputs',
  'src/engine/gemm/wasm.ts: step', // generated WebAssembly instructions of one loop body
  'src/engine/gemm/wasm.ts: tile',
  'src/engine/gemm/wasm-pack.ts: copy',
  'src/engine/gemm/wasm-pack.ts: panelStart',
  'src/engine/gemm/wasm-pack.ts: group',
  'src/engine/kernels/adamw-simd.ts: body',
  'src/engine/kernels/index.ts: args', // a kernel's argument list
  'src/data/rng.ts: keyedState(seed, keys)', // the generator's four state words
  "src/experiment/plan.ts: method.split('/')", // a method name's path segments
]);

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sourceFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

function callSpreads(file: string): string[] {
  const rel = path.relative(REPO_ROOT, file);
  const source = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if ((ts.isCallExpression(node) || ts.isNewExpression(node)) && node.arguments) {
      for (const arg of node.arguments) {
        if (ts.isSpreadElement(arg)) found.push(`${rel}: ${arg.expression.getText(source)}`);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

describe('calls in src', () => {
  it('spread only fixed-arity argument lists', () => {
    const spreads = sourceFiles(path.join(REPO_ROOT, 'src')).flatMap(callSpreads);
    expect(spreads.length).toBeGreaterThan(0); // the scan sees the allowed ones
    expect(spreads.filter((s) => !FIXED_ARITY.has(s))).toEqual([]);
  });
});
