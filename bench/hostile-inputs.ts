// What hostile inputs cost (npm run bench:hostile): wall time, CPU time, peak RSS and the outcome of `wsel inspect`
// and `wsel select` on files that declare far more than they hold. With `-- --before PATH` (another build's
// bin/wsel.js, e.g. an older checkout) each case also runs there, in the same session. Prints figures; asserts
// nothing. A run is stopped after BENCH_TIMEOUT seconds (default 120); its peak memory is then read from /proc.
// BENCH_CASES (a regular expression) runs only the cases whose names match.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { vit } from '../src/arch/index.js';
import { writeSyntheticCheckpoint } from '../src/arch/synthetic.js';
import { VIT_DEFAULTS } from '../src/arch/vit.js';
import { saveSafetensors } from '../src/checkpoint/node/write.js';
import { torchPickle, writeTorchZip } from '../test/checkpoint/helpers.js';

const ROOT = path.resolve(new URL('..', import.meta.url).pathname);
const PRELOAD = path.join(ROOT, 'scripts/max-rss.mjs');
const TIMEOUT_S = Number(process.env.BENCH_TIMEOUT ?? 120);

interface Outcome { wall: number; cpu: number | null; rssMiB: number | null; result: string }

/** Peak RSS of a live process from /proc (Linux), in MiB. */
function peakFromProc(pid: number): number | null {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

function run(bin: string, args: string[]): Promise<Outcome> {
  const stats = path.join(os.tmpdir(), `wsel-bench-hostile-${process.pid}.json`);
  fs.rmSync(stats, { force: true });
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', PRELOAD, bin, ...args], { env: { ...process.env, WSEL_MAX_RSS_FILE: stats } });
    let stderr = '';
    child.stderr.on('data', (d) => { stderr += d; });
    child.stdout.resume();
    let peak: number | null = null;
    const timer = setTimeout(() => {
      peak = peakFromProc(child.pid!);
      child.kill('SIGKILL');
    }, TIMEOUT_S * 1000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const wall = (performance.now() - started) / 1000;
      let measured: { maxRSS: number; cpu: number } | null = null;
      try {
        measured = JSON.parse(fs.readFileSync(stats, 'utf8')) as { maxRSS: number; cpu: number };
      } catch { /* killed: no exit handler ran */ }
      const firstLine = stderr.split('\n').find((l) => l.trim() !== '') ?? '';
      const result = signal === 'SIGKILL' ? `stopped after ${TIMEOUT_S} s`
        : code === 0 ? 'exit 0'
        : /internal error/.test(stderr) ? `exit ${code}, internal error (${/RangeError[^\n]*/.exec(stderr)?.[0] ?? 'stack trace'})`
        : `exit ${code}: ${firstLine.replace(/^wsel: (error: )?/, '').replace(/\/\S+\//g, '').slice(0, 70)}`;
      resolve({ wall, cpu: measured ? measured.cpu / 1e6 : null, rssMiB: measured ? measured.maxRSS / 1024 : peak, result });
    });
  });
}

function safetensorsBytes(json: string): Buffer {
  const body = Buffer.from(json);
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(body.length));
  return Buffer.concat([length, body]);
}

const nested = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;

/** Each case: a name, and the wsel arguments (files made under `dir`). */
function makeCases(dir: string): { name: string; args: string[] }[] {
  const cases: { name: string; args: string[] }[] = [];
  const out = (name: string) => path.join(dir, 'out', name);
  fs.mkdirSync(path.join(dir, 'out'), { recursive: true });

  for (const layers of [1e6, 1e9]) {
    const folder = path.join(dir, `llama-${layers}`);
    fs.mkdirSync(folder, { recursive: true });
    fs.writeFileSync(path.join(folder, 'config.json'), JSON.stringify({ model_type: 'llama', vocab_size: 16, hidden_size: 8, intermediate_size: 16, num_hidden_layers: layers, num_attention_heads: 2, num_key_value_heads: 1 }));
    saveSafetensors(path.join(folder, 'model.safetensors'), [{ name: 'model.embed_tokens.weight', dtype: 'F32', shape: [16, 8], data: new Uint8Array(512) }]);
    cases.push({ name: `config.json declaring ${layers.toExponential()} layers: inspect`, args: ['inspect', folder] });
    cases.push({ name: `config.json declaring ${layers.toExponential()} layers: select`, args: ['select', '--teacher', folder, '--student', '{}', '--out', out(`llama-${layers}`)] });
  }

  const million = path.join(dir, 'million.safetensors');
  const entries: string[] = [];
  for (let i = 0; i < 1_000_000; i++) entries.push(`"t${i}":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}`);
  fs.writeFileSync(million, safetensorsBytes(`{${entries.join(',')}}`));
  const mib = (fs.statSync(million).size / 2 ** 20).toFixed(0);
  cases.push({ name: `header of 1,000,000 empty tensors (${mib} MiB): inspect`, args: ['inspect', million] });
  cases.push({ name: `header of 1,000,000 empty tensors (${mib} MiB): select`, args: ['select', '--teacher', million, '--student', '{}', '--out', out('million.safetensors')] });

  const side = 1 << 14;
  const view = path.join(dir, 'expanded.pth');
  writeTorchZip(view, torchPickle([{ name: 'w', storage: 'FloatStorage', key: '0', numel: side, offset: 0, shape: [side, side], stride: [0, 1] }]),
    { 0: new Uint8Array(side * 4) });
  const template = path.join(dir, 'template.safetensors');
  saveSafetensors(template, [{ name: 'w', dtype: 'F32', shape: [64, 64], data: new Uint8Array(64 * 64 * 4) }]);
  cases.push({ name: '.pth stride-0 view of 2^28 elements, 64 x 64 kept: select', args: ['select', '--arch', 'generic', '--teacher', view, '--student-template', template, '--out', out('view.safetensors')] });

  const teacher = path.join(dir, 'vit.safetensors');
  writeSyntheticCheckpoint(vit.declare({ ...VIT_DEFAULTS, img_size: 32, patch_size: 8, embed_dim: 64, num_heads: 2, depth: 2, num_classes: 10 }), teacher, 1);
  const student = path.join(dir, 'student.json');
  fs.writeFileSync(student, `{"embed_dim":${nested(100_000)}}`);
  cases.push({ name: '--student file nested 100,000 deep: select', args: ['select', '--arch', 'vit', '--teacher', teacher, '--student', student, '--out', out('deep.safetensors')] });
  const sharded = path.join(dir, 'sharded');
  fs.mkdirSync(sharded);
  fs.copyFileSync(teacher, path.join(sharded, 'model-00001-of-00001.safetensors'));
  const names = Object.keys(JSON.parse(fs.readFileSync(teacher).subarray(8, 8 + Number(fs.readFileSync(teacher).readBigUInt64LE(0))).toString()) as object);
  const weightMap = Object.fromEntries(names.filter((n) => n !== '__metadata__').map((n) => [n, 'model-00001-of-00001.safetensors']));
  fs.writeFileSync(path.join(sharded, 'model.safetensors.index.json'), `{"metadata":{"total_size":${nested(100_000)}},"weight_map":${JSON.stringify(weightMap)}}`);
  cases.push({ name: 'sharded index metadata nested 100,000 deep: inspect', args: ['inspect', sharded] });
  return cases.filter((c) => new RegExp(process.env.BENCH_CASES ?? '').test(c.name));
}

function cell(o: Outcome | undefined): string {
  if (!o) return 'n/a';
  const rss = o.rssMiB === null ? '?' : `${o.rssMiB.toFixed(0)} MiB`;
  const cpu = o.cpu === null ? '' : `, ${o.cpu.toFixed(1)} s CPU`;
  return `${o.wall.toFixed(1)} s${cpu}, ${rss}; ${o.result}`;
}

async function main(): Promise<void> {
  const beforeAt = process.argv.indexOf('--before');
  const before = beforeAt > 0 ? path.resolve(process.argv[beforeAt + 1]!) : null;
  const after = path.join(ROOT, 'bin/wsel.js');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wsel-bench-hostile-'));
  try {
    const load = os.loadavg().map((x) => x.toFixed(2)).join(', ');
    console.log(`hostile inputs: wall time, CPU time and peak RSS per run (one run each; load average ${load}, ${os.cpus().length} cores)`);
    const rows: string[][] = [];
    for (const c of makeCases(dir)) {
      const now = await run(after, c.args);
      const then = before ? await run(before, c.args) : undefined;
      rows.push([c.name, ...(before ? [cell(then)] : []), cell(now)]);
      fs.rmSync(path.join(dir, 'out'), { recursive: true, force: true });
      fs.mkdirSync(path.join(dir, 'out'));
    }
    const header = ['case', ...(before ? [`before (${before})`] : []), 'this build'];
    console.log([header, header.map(() => '---'), ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n'));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

await main();
