#!/usr/bin/env node
// Compares the model tensors of two checkpoints byte for byte (names, dtypes, shapes, data; metadata and a
// training state's optimizer.* tensors are ignored). Exit 0 when identical, 1 otherwise. Needs `npm run build`.
// Usage: node scripts/compare-tensors.mjs A.safetensors B.safetensors
import { openCheckpoint } from '../dist/checkpoint/open.js';

const files = process.argv.slice(2);
if (files.length !== 2) {
  console.error('usage: node scripts/compare-tensors.mjs A.safetensors B.safetensors');
  process.exit(2);
}
const [a, b] = files.map((f) => openCheckpoint(f));
const modelTensors = (r) => [...r.tensors.keys()].filter((n) => !n.startsWith('optimizer.')).sort();
const namesA = modelTensors(a);
const namesB = modelTensors(b);
const differences = [];
for (const n of namesA.filter((x) => !namesB.includes(x))) differences.push(`${n}: only in ${files[0]}`);
for (const n of namesB.filter((x) => !namesA.includes(x))) differences.push(`${n}: only in ${files[1]}`);
for (const n of namesA.filter((x) => namesB.includes(x))) {
  const ta = a.tensors.get(n);
  const tb = b.tensors.get(n);
  if (ta.dtype !== tb.dtype || ta.shape.join() !== tb.shape.join()) {
    differences.push(`${n}: ${ta.dtype} [${ta.shape}] vs ${tb.dtype} [${tb.shape}]`);
  } else if (Buffer.compare(Buffer.from(a.readBytes(n)), Buffer.from(b.readBytes(n))) !== 0) {
    differences.push(`${n}: the data differs`);
  }
}
const total = new Set([...namesA, ...namesB]).size;
if (differences.length === 0) {
  console.log(`identical: ${total} tensors of ${files[0]} and ${files[1]}`);
} else {
  console.log(`${differences.length} of ${total} tensors differ between ${files[0]} and ${files[1]}:`);
  for (const d of differences.slice(0, 10)) console.log(`  ${d}`);
}
process.exit(differences.length === 0 ? 0 : 1);
