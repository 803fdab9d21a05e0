// Benchmark (npm run bench:web): the tab's memory while it selects a student from a dropped teacher file of 0.33 GB
// and of 1.2 GB (ViT-B/16 and ViT-L/16, float32, random weights under timm's names). Measured in the same run, a
// fresh tab per teacher: the renderer process's peak RSS (VmHWM; the page's workers run in it) before and after the
// selection, and the CLI's `wsel select` on the same file (wall time, peak RSS) as the anchor. Prints figures;
// asserts nothing. Linux only (reads /proc).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { vit } from '../../src/arch/index.js';
import { writeSyntheticCheckpoint } from '../../src/arch/synthetic.js';
import { VIT_DEFAULTS } from '../../src/arch/vit.js';
import { buildPage, openPage, servePage } from './chromium.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const CACHE = path.join(tmpdir(), 'wsel-bench-web');
/** Teachers of 0.33 and 1.2 GB: a tab that reads lazily peaks at about the same memory for both. */
const TEACHERS = [
  { name: 'vit_base_patch16_224', config: { ...VIT_DEFAULTS } },
  { name: 'vit_large_patch16_224', config: { ...VIT_DEFAULTS, embed_dim: 1024, depth: 24, num_heads: 16 } },
];
const STUDENT = { embed_dim: 192, depth: 12 };

const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

/** Peak and current RSS of a process, in bytes (from /proc/PID/status). */
function rss(pid: number): { peak: number; now: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN) * 1024;
  return { peak: kib('VmHWM'), now: kib('VmRSS') };
}

/** Chromium renderer processes descended from process `root`. */
function renderers(root: number): number[] {
  const parent = new Map<number, number>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      parent.set(Number(d), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch { /* exited */ }
  }
  const under = (pid: number): boolean => { for (let p = pid; p > 1; p = parent.get(p) ?? 0) if (p === root) return true; return false; };
  return [...parent.keys()].filter((pid) => {
    try {
      return under(pid) && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('--type=renderer');
    } catch { return false; }
  });
}

interface Figures { teacherBytes: number; student: string; seconds: number; before: number; peak: number; cliSeconds: number; cliPeak: number }

async function measureTeacher(served: Awaited<ReturnType<typeof servePage>>, teacher: string): Promise<Figures> {
  const errors: string[] = [];
  const page = await openPage(served, errors);
  try {
    // The tab's renderer (its workers run in it): the one of this process's Chromium that holds the most.
    const tab = renderers(process.pid).sort((a, b) => rss(b).now - rss(a).now)[0]!;
    await page.setInputFiles('#teacher-files', teacher);
    await page.waitForSelector('#inspect dl');
    await page.fill('#student-json', JSON.stringify(STUDENT));
    const before = rss(tab).peak;
    const t0 = performance.now();
    await page.click('#select');
    await page.waitForSelector('#selection button.download', { timeout: 600_000 });
    const seconds = (performance.now() - t0) / 1000;
    const peak = rss(tab).peak;
    const student = (await page.textContent('#selection button.download'))!.replace(/^Download /, '');
    if (errors.length) throw new Error(errors.join('\n'));
    const out = path.join(CACHE, 'cli-student.safetensors');
    rmSync(out, { force: true });
    const cli = spawnSync('/usr/bin/time', ['-f', 'WSEL_TIME %e %M', process.execPath, path.join(ROOT, 'bin/wsel.js'), 'select',
      '--teacher', teacher, '--student', JSON.stringify(STUDENT), '--out', out], { encoding: 'utf8' });
    const m = /WSEL_TIME ([\d.]+) (\d+)/.exec(cli.stderr ?? '');
    if (!m) throw new Error(`wsel select failed: ${cli.stderr}`);
    return { teacherBytes: statSync(teacher).size, student, seconds, before, peak, cliSeconds: Number(m[1]), cliPeak: Number(m[2]) * 1024 };
  } finally {
    await page.context().close();
  }
}

async function main(): Promise<void> {
  mkdirSync(CACHE, { recursive: true });
  const files = TEACHERS.map((t) => {
    const file = path.join(CACHE, `${t.name}.safetensors`);
    if (!existsSync(file)) {
      console.log(`writing the teacher ${file} ...`);
      writeSyntheticCheckpoint(vit.declare(t.config), file, 1);
    }
    return file;
  });
  buildPage();
  const served = await servePage();
  try {
    console.log(`student ${JSON.stringify(STUDENT)}; a fresh tab per teacher`);
    console.log('| teacher | size | page: select time | tab peak RSS before / after selecting | CLI: time | CLI peak RSS |');
    console.log('|---|---|---|---|---|---|');
    for (const file of files) {
      const f = await measureTeacher(served, file);
      console.log(`| ${path.basename(file)} | ${mib(f.teacherBytes)} | ${f.seconds.toFixed(1)} s | ${mib(f.before)} / ${mib(f.peak)} | ${f.cliSeconds.toFixed(1)} s | ${mib(f.cliPeak)} |`);
    }
  } finally {
    await served.close();
  }
}

await main();
