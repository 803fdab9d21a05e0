// GEMM throughput on the shapes of one ViT-Tiny training step (3200 token rows = 50 images x 64
// patches, width 192, MLP 768, 3 heads of 64), for the scalar TypeScript kernel, the WebAssembly
// SIMD kernel (one thread, and split over the engine's thread pool), the OpenBLAS addon (1 thread
// and its default count) and PyTorch's torch.mm / torch.bmm measured in the same run. Prints
// figures; asserts nothing.
//
//   npm run bench:gemm            (or: npx tsx bench/gemm.ts)
//   WSEL_TORCH_PYTHON=...         Python with torch (default: Debian's /usr/bin/python3)
//   WSEL_BENCH_SECONDS=0.3        minimum time spent per measurement
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { typescriptBackend, wasmBackend } from '../src/engine/blas.js';
import { wasmUnavailableReason } from '../src/engine/gemm/wasm.js';
import { loadOpenBlasAddon, type OpenBlasAddon } from '../src/engine/node/openblas.js';
import { nodeThreads } from '../src/engine/node/threads.js';
import { allocF32 } from '../src/engine/shared.js';
import { configureThreads, initThreads, setParallelThreshold } from '../src/engine/threads/pool.js';

const typescriptSgemmBatched = typescriptBackend.sgemmBatched;
const wasmSgemmBatched = wasmBackend.sgemmBatched;

interface Shape {
  label: string;
  transA: boolean;
  transB: boolean;
  m: number;
  n: number;
  k: number;
  count: number; // > 1: batched (attention)
}

const T = 3200, D = 192, H = 768, QKV = 3 * D, HEADS = 3, TOKENS = 64, HEAD_DIM = 64, IMAGES = T / TOKENS;
// For Y = X W (X: T x in, W: in x out): forward NN, input gradient dX = dY W^T (NT), weight
// gradient dW = X^T dY (TN).
const SHAPES: Shape[] = [];
for (const [name, inF, outF] of [['qkv', D, QKV], ['fc1', D, H], ['fc2', H, D]] as const) {
  SHAPES.push({ label: `${name} fwd    X·W`, transA: false, transB: false, m: T, n: outF, k: inF, count: 1 });
  SHAPES.push({ label: `${name} dX    dY·Wᵀ`, transA: false, transB: true, m: T, n: inF, k: outF, count: 1 });
  SHAPES.push({ label: `${name} dW    Xᵀ·dY`, transA: true, transB: false, m: inF, n: outF, k: T, count: 1 });
}
const BH = IMAGES * HEADS;
SHAPES.push({ label: `attn Q·Kᵀ ×${BH}`, transA: false, transB: true, m: TOKENS, n: TOKENS, k: HEAD_DIM, count: BH });
SHAPES.push({ label: `attn P·V  ×${BH}`, transA: false, transB: false, m: TOKENS, n: HEAD_DIM, k: TOKENS, count: BH });

const minSeconds = Number(process.env['WSEL_BENCH_SECONDS'] ?? '0.3');

function flops(s: Shape): number {
  return 2 * s.m * s.n * s.k * s.count;
}

// Fastest call after one warm-up call, over at least 3 calls and minSeconds: the machine may be
// shared, and the fastest call is the least disturbed one.
function timeIt(fn: () => void): number {
  fn();
  const times: number[] = [];
  const start = performance.now();
  while (times.length < 3 || performance.now() - start < minSeconds * 1000) {
    const t0 = performance.now();
    fn();
    times.push((performance.now() - t0) / 1000);
  }
  return Math.min(...times);
}

function operands(s: Shape) {
  const [aRows, aCols] = s.transA ? [s.k, s.m] : [s.m, s.k];
  const [bRows, bCols] = s.transB ? [s.n, s.k] : [s.k, s.n];
  // On shared memory, so the thread pool can split the product.
  const a = allocF32(aRows * aCols * s.count);
  const b = allocF32(bRows * bCols * s.count);
  for (let i = 0; i < a.length; i++) a[i] = Math.random() - 0.5;
  for (let i = 0; i < b.length; i++) b[i] = Math.random() - 0.5;
  const c = allocF32(s.m * s.n * s.count);
  return { a, b, c, lda: aCols, ldb: bCols, sA: aRows * aCols, sB: bRows * bCols, sC: s.m * s.n };
}

type Gemm = OpenBlasAddon['sgemmBatched'];

function gflops(s: Shape, gemm: Gemm): number {
  const o = operands(s);
  const sec = timeIt(() =>
    gemm(s.count, o.sA, o.sB, o.sC, s.transA, s.transB, s.m, s.n, s.k, 1, o.a, 0, o.lda, o.b, 0, o.ldb, 0, o.c, 0, s.n));
  return flops(s) / sec / 1e9;
}

// torch.mm (torch.bmm for batches) on transposed views, so torch picks BLAS transpose flags as
// we do; out= avoids timing an allocation.
const TORCH_SCRIPT = `
import json, sys, time, torch
shapes, min_seconds, threads = json.loads(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
torch.set_num_threads(threads)
def time_it(fn):
    fn()
    times, start = [], time.perf_counter()
    while len(times) < 3 or time.perf_counter() - start < min_seconds:
        t0 = time.perf_counter(); fn(); times.append(time.perf_counter() - t0)
    return min(times)
out = []
for s in shapes:
    m, n, k, count = s['m'], s['n'], s['k'], s['count']
    batch = (count,) if count > 1 else ()
    a = torch.rand(*batch, *((k, m) if s['transA'] else (m, k))) - 0.5
    b = torch.rand(*batch, *((n, k) if s['transB'] else (k, n))) - 0.5
    a = a.transpose(-1, -2) if s['transA'] else a
    b = b.transpose(-1, -2) if s['transB'] else b
    c = torch.empty(*batch, m, n)
    op = torch.bmm if count > 1 else torch.mm
    sec = time_it(lambda: op(a, b, out=c))
    out.append(2 * m * n * k * count / sec / 1e9)
print(json.dumps({'version': torch.__version__, 'gflops': out}))
`;

function torchGflops(threads: number): { version: string; gflops: number[] } | { error: string } {
  const python = process.env['WSEL_TORCH_PYTHON'] ?? '/usr/bin/python3';
  // torch.mm on Debian runs on the system BLAS (OpenBLAS), whose pthreads follow
  // OPENBLAS_NUM_THREADS rather than torch.set_num_threads; set both.
  const env = { ...process.env, OPENBLAS_NUM_THREADS: String(threads), OMP_NUM_THREADS: String(threads) };
  const res = spawnSync(python, ['-c', TORCH_SCRIPT, JSON.stringify(SHAPES), String(minSeconds), String(threads)], {
    encoding: 'utf8', env, timeout: 10 * 60 * 1000,
  });
  if (res.error) return { error: `${python}: ${res.error.message}` };
  if (res.status !== 0) return { error: (res.stderr.trim().split('\n').pop() ?? 'failed').slice(0, 200) };
  return JSON.parse(res.stdout) as { version: string; gflops: number[] };
}

const loaded = loadOpenBlasAddon();
const addon = 'addon' in loaded ? loaded.addon : undefined;
const threads = addon?.getThreads() ?? 1;

const poolThreads = configureThreads(nodeThreads, availableParallelism()).wanted;
await initThreads();
// One thread: the pool never splits; then split whatever is big enough to pay.
const threshold = setParallelThreshold(Number.POSITIVE_INFINITY);
const ts = SHAPES.map((s) => gflops(s, typescriptSgemmBatched));
const wasmReason = wasmUnavailableReason();
const wasm = wasmReason === undefined ? SHAPES.map((s) => gflops(s, wasmSgemmBatched)) : undefined;
setParallelThreshold(threshold);
const wasmN = wasmReason === undefined ? SHAPES.map((s) => gflops(s, wasmSgemmBatched)) : undefined;
let blas1: number[] | undefined;
let blasN: number[] | undefined;
if (addon !== undefined) {
  const gemm: Gemm = addon.sgemmBatched.bind(addon);
  addon.setThreads(1);
  blas1 = SHAPES.map((s) => gflops(s, gemm));
  addon.setThreads(threads);
  blasN = SHAPES.map((s) => gflops(s, gemm));
}
const torch1 = torchGflops(1);
const torchN = torchGflops(threads);

const fmt = (x: number | undefined, digits = 1) => (x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(digits));
const ratio = (x: number | undefined, y: number | undefined) => (x === undefined || y === undefined ? '-' : `${(x / y).toFixed(2)}x`);
const t1 = 'gflops' in torch1 ? torch1.gflops : undefined;
const tN = 'gflops' in torchN ? torchN.gflops : undefined;

console.log(`GEMM GFLOP/s, float32, row-major (fastest of >= 3 calls over >= ${minSeconds}s, after a warm-up call)`);
console.log(`node ${process.version}; OpenBLAS addon: ${'reason' in loaded ? loaded.reason : `loaded, default ${threads} threads`}; ` +
  `WebAssembly SIMD: ${wasmReason ?? 'ok'}; torch: ${'version' in torch1 ? torch1.version : torch1.error}`);
const head = ['shape', 'm x n x k', 'TS 1T', 'wasm 1T', `wasm ${poolThreads}T`, 'OpenBLAS 1T', `OpenBLAS ${threads}T`, 'torch 1T',
  `torch ${threads}T`, 'wasm/torch 1T', `wasm/OpenBLAS ${threads}T`, `OpenBLAS/torch ${threads}T`];
const rows = SHAPES.map((s, i) => [
  s.label, `${s.m}x${s.n}x${s.k}`, fmt(ts[i], 2), fmt(wasm?.[i]), fmt(wasmN?.[i]), fmt(blas1?.[i]), fmt(blasN?.[i]), fmt(t1?.[i]),
  fmt(tN?.[i]), ratio(wasm?.[i], t1?.[i]), ratio(wasmN?.[i], blasN?.[i]), ratio(blasN?.[i], tN?.[i]),
]);
const widths = head.map((h, j) => Math.max(h.length, ...rows.map((r) => r[j]!.length)));
const line = (r: string[]) => r.map((x, j) => (j < 2 ? x.padEnd(widths[j]!) : x.padStart(widths[j]!))).join('  ');
console.log(line(head));
for (const r of rows) console.log(line(r));
