// Benchmark of `wsel select` on a language model (npm run bench:select-llm): a synthetic Llama-shaped teacher of
// about 1.5B parameters in bf16, in 2 shards (~3 GB), selected to half width and half depth. Wall time and peak
// RSS of the CLI (a child process, measured by /usr/bin/time), against reading the shards once
// (cat > /dev/null) and against the PyTorch pipeline (load everything, index_select, save), in the same run.
// Prints figures; asserts nothing. The teacher is made once in a cache folder under the OS temp dir.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { writeSyntheticHfModel } from '../src/arch/hf-synthetic.js';
import { llama } from '../src/arch/index.js';
import { measure, REPEATS, type Run } from './measure.js';

const ROOT = path.resolve(new URL('..', import.meta.url).pathname);
const CACHE = path.join(tmpdir(), 'wsel-bench-select-llm');
const TEACHER = path.join(CACHE, 'llama-1.5b-bf16');
const OUT = path.join(CACHE, 'student');
const PYTHON = '/usr/bin/python3';

// Llama-shaped: 28 layers of 2048 wide, 16 heads of 128 in 4 kv groups, MLP 6144, 32000-token vocabulary, untied.
const TEACHER_CONFIG = {
  architectures: ['LlamaForCausalLM'], model_type: 'llama', vocab_size: 32000, hidden_size: 2048, intermediate_size: 6144,
  num_hidden_layers: 28, num_attention_heads: 16, num_key_value_heads: 4, head_dim: 128, tie_word_embeddings: false,
  rms_norm_eps: 1e-5, rope_theta: 500000, max_position_embeddings: 4096, hidden_act: 'silu', torch_dtype: 'bfloat16',
};
const STUDENT = { hidden_size: 1024, num_hidden_layers: 14 };

const hasTorch = () => spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
const fmt = (r: Run) => `${r.seconds.toFixed(2)} s${r.rssMiB !== null ? `, peak RSS ${r.rssMiB.toFixed(0)} MiB` : ''}`;

function main(): void {
  if (!existsSync(path.join(ROOT, 'dist/cli/main.js'))) throw new Error('run `npm run build` first');
  if (!existsSync(path.join(TEACHER, 'model.safetensors.index.json'))) {
    console.log(`making the teacher in ${TEACHER} (once) ...`);
    const t0 = performance.now();
    const { parameters } = writeSyntheticHfModel(TEACHER, llama, TEACHER_CONFIG, { seed: 1, maxShardSize: 2_000_000_000, scale: 0.05 });
    console.log(`  ${(parameters / 1e9).toFixed(2)}B parameters in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  }
  const shards = readdirSync(TEACHER).filter((f) => f.endsWith('.safetensors')).sort().map((f) => path.join(TEACHER, f));
  const teacherBytes = shards.reduce((n, f) => n + statSync(f).size, 0);
  console.log(`wsel select on a Llama-shaped teacher: ${(teacherBytes / 2 ** 30).toFixed(2)} GiB bf16 in ${shards.length} shards, `
    + `student ${JSON.stringify(STUDENT)}; median of ${REPEATS} runs after a warm-up (page cache warm), 2 cores`);

  const cat = measure('bash', ['-c', `cat ${shards.map((s) => `'${s}'`).join(' ')} > /dev/null`]);
  const clean = () => rmSync(OUT, { recursive: true, force: true });
  const wsel = measure(process.execPath, [path.join(ROOT, 'bin/wsel.js'), 'select', '--teacher', TEACHER,
    '--student', JSON.stringify(STUDENT), '--out', OUT, '--no-progress'], clean);
  const studentBytes = readdirSync(OUT).filter((f) => f.endsWith('.safetensors')).reduce((n, f) => n + statSync(path.join(OUT, f)).size, 0);
  // The I/O floor: read the teacher once and write (and sync) as many bytes as the student has, since wsel
  // fsyncs its output before renaming it into place.
  const sink = path.join(CACHE, 'floor.bin');
  const floor = measure('bash', ['-c', `cat ${shards.map((s) => `'${s}'`).join(' ')} > /dev/null && dd if=/dev/zero of='${sink}' bs=1M count=${Math.ceil(studentBytes / 2 ** 20)} conv=fsync status=none && rm -f '${sink}'`]);
  let torch: Run | null = null;
  if (hasTorch()) {
    const ref = path.join(CACHE, 'reference.safetensors');
    torch = measure(PYTHON, [path.join(ROOT, 'bench/select_llm_reference.py'), '--teacher', TEACHER,
      '--record', path.join(OUT, 'wsel_selection.json'), '--out', ref]);
    rmSync(ref, { force: true });
  } else {
    console.log(`(${PYTHON} has no torch: the PyTorch pipeline is skipped; apt-get install python3-torch)`);
  }
  clean();

  const rows = [
    ['read the teacher once (cat > /dev/null)', fmt(cat), '1.00'],
    ['I/O floor: cat the teacher + write and fsync the student\'s bytes (dd)', fmt(floor), (floor.seconds / cat.seconds).toFixed(2)],
    [`wsel select (writes ${(studentBytes / 2 ** 20).toFixed(0)} MiB)`, fmt(wsel), (wsel.seconds / cat.seconds).toFixed(2)],
    ...(torch ? [['PyTorch pipeline (load all, index_select, save)', fmt(torch), (torch.seconds / cat.seconds).toFixed(2)]] : []),
  ];
  console.log(['| step | time | / cat |', '| --- | --- | --- |', ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n'));
  if (torch) console.log(`PyTorch stages (median run): ${torch.stdout.trim()}`);
  console.log(`ratios: wsel / cat = ${(wsel.seconds / cat.seconds).toFixed(2)} (target <= 2), wsel / I/O floor = ${(wsel.seconds / floor.seconds).toFixed(2)}, `
    + `PyTorch / wsel = ${torch ? (torch.seconds / wsel.seconds).toFixed(1) : 'n/a'} (target >= 3), `
    + `wsel peak RSS = ${wsel.rssMiB?.toFixed(0) ?? 'n/a'} MiB (target < 512)`);
}

main();
