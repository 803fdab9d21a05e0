// Seeded fuzzing of what `wsel inspect` and `wsel select` read: mutated safetensors files, PyTorch zips, sharded
// sets and model folders. Whatever the damage: no crash or signal, no stack trace, a documented exit code
// (0 done, 1 bad input) with one line saying what is wrong, nothing left in the output folder after a failure
// (and no temp file after a success), the input unchanged, and memory bounded.
// WSEL_FUZZ_SEED and WSEL_FUZZ_CASES run other or more cases; a failure names its seed, case and mutations.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCheckpoint } from '../../src/checkpoint/node/open.js';
import { inspectCheckpoint } from '../../src/selection/node/inspect.js';
import { WselError } from '../../src/errors.js';
import { select } from '../../src/selection/node/select.js';
import type { ArchName } from '../../src/selection/select.js';
import { makeTmpDir } from '../helpers.js';
import { buildInputs, type FuzzInput } from './inputs.js';
import { mutateBytes, mutateJson, mutateSafetensorsHeader, seededRandom, type Random } from './mutate.js';
import { runWsel } from './run-wsel.js';

const SEED = Number(process.env.WSEL_FUZZ_SEED ?? 15);
const CASES = Number(process.env.WSEL_FUZZ_CASES ?? 400);
/** Every this many cases also run through the `wsel` binary (exit code, stderr, signals, peak memory). */
const CLI_EVERY = 16;
/** Peak memory of one `wsel` run on these inputs (a few hundred KB); Node itself takes about 60 MiB. */
const MAX_RSS_MIB = 300;

const tmp = makeTmpDir('wsel-fuzz-');
afterAll(() => tmp.cleanup());
let inputs: FuzzInput[] = [];
beforeAll(() => {
  inputs = buildInputs(path.join(tmp.dir, 'base'));
});

function filesOf(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesOf(path.join(dir, e.name)).map((f) => path.join(e.name, f)) : [e.name])).sort();
}

function fingerprint(dir: string): string {
  const hash = createHash('sha256');
  for (const f of filesOf(dir)) hash.update(f).update(fs.readFileSync(path.join(dir, f)));
  return hash.digest('hex');
}

/** Copy the input into `dir` and damage one of its files with 1 to 3 mutations; returns what was done. */
function mutatedCopy(input: FuzzInput, dir: string, rand: Random): string {
  fs.cpSync(input.dir, dir, { recursive: true });
  const files = filesOf(dir).filter((f) => /\.(safetensors|pth|json)$/.test(f));
  const file = files[Math.floor(rand() * files.length)]!;
  const full = path.join(dir, file);
  let bytes: Uint8Array = fs.readFileSync(full);
  const done: string[] = [];
  for (let k = 1 + Math.floor(rand() * 3); k > 0; k--) {
    if (file.endsWith('.json') && rand() < 0.7) {
      const edit = mutateJson(new TextDecoder().decode(bytes), rand);
      bytes = new TextEncoder().encode(edit.text);
      done.push(edit.what);
    } else if (file.endsWith('.safetensors') && rand() < 0.6) {
      const edit = mutateSafetensorsHeader(bytes, rand) ?? mutateBytes(bytes, rand);
      bytes = edit.bytes;
      done.push(edit.what);
    } else {
      const edit = mutateBytes(bytes, rand);
      bytes = edit.bytes;
      done.push(edit.what);
    }
  }
  fs.writeFileSync(full, bytes);
  return `${input.kind}/${file}: ${done.join('; ')}`;
}

/** A user-facing failure: a WselError with a one-line message. Anything else is a bug. */
function expectCleanFailure(e: unknown, label: string): void {
  expect(e instanceof WselError, `${label}: ${(e as Error)?.stack ?? String(e)}`).toBe(true);
  const message = (e as Error).message;
  expect(message.length, label).toBeGreaterThan(0);
  expect(/[\u0000-\u001f]/.test(message), `${label}: ${JSON.stringify(message)}`).toBe(false);
}

function selectRequest(input: FuzzInput, teacher: string, out: string) {
  const flag = (name: string) => (input.selectArgs.includes(name) ? input.selectArgs[input.selectArgs.indexOf(name) + 1] : undefined);
  return { arch: (flag('--arch') ?? 'auto') as ArchName, teacher, out, student: JSON.parse(flag('--student')!) as Record<string, unknown> };
}

interface Case {
  index: number;
  input: FuzzInput;
  dir: string;
  teacher: string;
  outDir: string;
  label: string;
  before: string;
}

function makeCase(index: number): Case {
  const rand = seededRandom(SEED * 1_000_003 + index);
  const input = inputs[index % inputs.length]!;
  const dir = tmp.file(`case${index}`);
  const what = mutatedCopy(input, dir, rand);
  const outDir = tmp.file(`out${index}`);
  fs.mkdirSync(outDir);
  return { index, input, dir, teacher: path.join(dir, input.teacher), outDir, label: `seed ${SEED} case ${index} (${what})`, before: fingerprint(dir) };
}

/** After a select: a failure leaves the output folder empty, a success leaves a readable student and no temp file. */
function expectOutputs(c: Case, succeeded: boolean): void {
  const left = filesOf(c.outDir);
  if (!succeeded) {
    expect(left, c.label).toEqual([]);
    return;
  }
  expect(left.filter((f) => f.includes('.tmp-')), c.label).toEqual([]);
  const reader = openCheckpoint(path.join(c.outDir, c.input.outName));
  reader.close();
}

describe(`fuzzed inputs (seed ${SEED}, ${CASES} cases)`, () => {
  it('inspect and select in process: a result or a one-line WselError, nothing left behind, input unchanged', async () => {
    const outcomes = { inspect: [0, 0], select: [0, 0] };
    for (let i = 0; i < CASES; i++) {
      const c = makeCase(i);
      try {
        await inspectCheckpoint(c.teacher);
        outcomes.inspect[0]!++;
      } catch (e) {
        expectCleanFailure(e, `inspect ${c.label}`);
        outcomes.inspect[1]!++;
      }
      let succeeded = false;
      try {
        select(selectRequest(c.input, c.teacher, path.join(c.outDir, c.input.outName)));
        succeeded = true;
        outcomes.select[0]!++;
      } catch (e) {
        expectCleanFailure(e, `select ${c.label}`);
        outcomes.select[1]!++;
      }
      expectOutputs(c, succeeded);
      expect(fingerprint(c.dir), `input changed: ${c.label}`).toBe(c.before);
      fs.rmSync(c.dir, { recursive: true });
      fs.rmSync(c.outDir, { recursive: true });
    }
    // The mutations both break inputs and leave some usable: both paths are exercised.
    for (const [ok, failed] of Object.values(outcomes)) {
      expect(ok).toBeGreaterThan(0);
      expect(failed).toBeGreaterThan(CASES / 4);
    }
  }, 300_000);

  it('the wsel binary: exit 0 or 1, one line on stderr, no signal, bounded memory, nothing left behind', async () => {
    const cases = Array.from({ length: Math.ceil(CASES / CLI_EVERY) }, (_, k) => k * CLI_EVERY + 1);
    // Two at a time: two cores.
    for (let k = 0; k < cases.length; k += 2) {
      await Promise.all(cases.slice(k, k + 2).map(async (index) => {
        const c = makeCase(index);
        const inspect = await runWsel(['inspect', c.teacher, '--limit', '5']);
        const selected = await runWsel(['select', '--teacher', c.teacher, '--out', path.join(c.outDir, c.input.outName), '--no-progress', ...c.input.selectArgs]);
        for (const [name, run] of [['inspect', inspect], ['select', selected]] as const) {
          const label = `wsel ${name} ${c.label}: ${run.stderr}`;
          expect(run.signal, label).toBeNull();
          expect([0, 1], label).toContain(run.code);
          if (run.code === 0) expect(run.stderr, label).toBe('');
          else expect(run.stderr, label).toMatch(/^wsel: error: [^\n]+\n$/);
          expect(run.stderr, label).not.toMatch(/internal error|\n\s+at /);
          expect(run.maxRssMiB, label).not.toBeNull();
          expect(run.maxRssMiB!, label).toBeLessThan(MAX_RSS_MIB);
        }
        expectOutputs(c, selected.code === 0);
        expect(fingerprint(c.dir), `input changed: ${c.label}`).toBe(c.before);
        fs.rmSync(c.dir, { recursive: true });
        fs.rmSync(c.outDir, { recursive: true });
      }));
    }
  }, 300_000);
});
