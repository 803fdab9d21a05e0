// Benchmark of `wsel select` (npm run bench:select): wall time and peak RSS of the CLI, end to end, against
// reading the teacher once (cat > /dev/null) and against the reference pipeline in PyTorch (torch.load the
// whole state dict, index_select, torch.save), measured in the same run on the same teachers. Prints figures;
// asserts nothing. Teachers are made once (random weights, timm names) in a cache folder under the OS temp dir.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { vit } from '../src/arch/index.js';
import { writeSyntheticCheckpoint } from '../src/arch/synthetic.js';
import { tensorShape } from '../src/arch/types.js';
import { VIT_DEFAULTS } from '../src/arch/vit.js';
import { measure, REPEATS, TIME, type Run } from './measure.js';

const ROOT = path.resolve(new URL('..', import.meta.url).pathname);
const CACHE = path.join(tmpdir(), 'wsel-bench-select');
const PYTHON = '/usr/bin/python3';

interface Case {
  name: string;
  teacher: typeof VIT_DEFAULTS;
  student: Record<string, unknown>;
}

const CASES: Case[] = [
  { name: 'ViT-S -> ViT-Ti', teacher: { ...VIT_DEFAULTS, embed_dim: 384, num_heads: 6 }, student: { embed_dim: 192 } },
  { name: 'ViT-B -> ViT-S width', teacher: { ...VIT_DEFAULTS }, student: { embed_dim: 384 } },
];

function hasTorch(): boolean {
  return spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
}

const fmt = (r: Run | null) => (r ? `${r.seconds.toFixed(3)} s` : 'n/a');
const fmtRss = (r: Run | null) => (r?.rssMiB != null ? `${r.rssMiB.toFixed(0)} MiB` : 'n/a');

function main(): void {
  mkdirSync(CACHE, { recursive: true });
  if (!existsSync(path.join(ROOT, 'dist/cli/main.js'))) throw new Error('run `npm run build` first');
  const torch = hasTorch();
  console.log(`wsel select benchmark: median of ${REPEATS} runs after a warm-up (page cache warm), 2 cores`);
  if (!torch) console.log(`(${PYTHON} has no torch: the PyTorch pipeline is skipped; apt-get install python3-torch)`);
  if (!existsSync(TIME)) console.log(`(${TIME} missing: peak RSS not measured; apt-get install time)`);
  const rows: string[][] = [];
  for (const c of CASES) {
    const tag = c.name.replace(/\W+/g, '_');
    const teacherDecl = vit.declare(c.teacher);
    const st = path.join(CACHE, `${tag}.safetensors`);
    if (!existsSync(st)) writeSyntheticCheckpoint(teacherDecl, st, 1);
    const pth = path.join(CACHE, `${tag}.pth`);
    if (torch && !existsSync(pth)) {
      const r = spawnSync(PYTHON, ['-c', `import sys, torch; sys.path.insert(0, ${JSON.stringify(path.join(ROOT, 'scripts'))}); from reference_selection import read_safetensors; torch.save(read_safetensors(${JSON.stringify(st)}), ${JSON.stringify(pth)})`], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(r.stderr);
    }
    const studentDecl = vit.declare(vit.studentConfig(c.teacher, c.student));
    const shapes = path.join(CACHE, `${tag}.shapes.json`);
    writeFileSync(shapes, JSON.stringify(Object.fromEntries(studentDecl.tensors.map((t) => [t.name, tensorShape(studentDecl, t)]))));
    const out = path.join(CACHE, `${tag}.student.safetensors`);
    const wselArgs = (teacher: string) => [path.join(ROOT, 'bin/wsel.js'), 'select', '--arch', 'vit', '--teacher', teacher,
      '--student', JSON.stringify(c.student), '--out', out, '--no-progress'];

    const cat = measure('bash', ['-c', `cat '${st}' > /dev/null`]);
    const wselSt = measure(process.execPath, wselArgs(st));
    const wselPth = torch ? measure(process.execPath, wselArgs(pth)) : null;
    const reference = torch ? measure(PYTHON, [path.join(ROOT, 'scripts/reference_selection.py'), 'pipeline', '--teacher', pth, '--shapes', shapes, '--out', path.join(CACHE, `${tag}.reference.pth`)]) : null;
    // The I/O floor: read the teacher once and write the student's bytes once (dd of the same size), so the
    // output's cost on this disk is visible next to the read-only baseline.
    const studentBytes = statSync(out).size;
    const sink = path.join(CACHE, `${tag}.dd`);
    const floor = measure('bash', ['-c', `cat '${st}' > /dev/null && dd if=/dev/zero of='${sink}' bs=1M count=${Math.ceil(studentBytes / 2 ** 20)} status=none && sync -f '${sink}' && rm -f '${sink}'`]);
    rmSync(out, { force: true });
    const mib = (statSync(st).size / 2 ** 20).toFixed(0);
    rows.push([`${c.name} (${mib} MiB f32)`, fmt(cat), fmt(floor), `${fmt(wselSt)}, ${fmtRss(wselSt)}`, wselPth ? `${fmt(wselPth)}, ${fmtRss(wselPth)}` : 'n/a',
      reference ? `${fmt(reference)}, ${fmtRss(reference)}` : 'n/a',
      (wselSt.seconds / cat.seconds).toFixed(2), (wselSt.seconds / floor.seconds).toFixed(2), reference && wselPth ? (reference.seconds / wselPth.seconds).toFixed(1) : 'n/a']);
  }
  const header = ['case', 'cat teacher', 'cat teacher + write student', 'wsel (safetensors in)', 'wsel (.pth in)', 'PyTorch pipeline (.pth)', 'wsel / cat', 'wsel / (cat + write)', 'PyTorch / wsel (.pth)'];
  const table = [header, header.map(() => '---'), ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');
  console.log(table);
}

main();
