// `wsel train` killed with SIGKILL (no handler can run) at several moments, during checkpoint writes among
// them: DIR/last.safetensors is always absent (nothing saved yet) or a complete checkpoint, never a torn one, and
// `--resume` continues to the same bits as a run that was never interrupted.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openCheckpoint } from '../../src/checkpoint/node/open.js';
import { makeTmpDir, REPO_ROOT } from '../helpers.js';

const tmp = makeTmpDir('wsel-train-kill-');
afterAll(() => tmp.cleanup());

// 16 steps per epoch; saves at every 4th step and at the epoch end. last.safetensors (weights and AdamW moments)
// is about 11 MB, so writing and fsyncing it takes long enough to be caught in the middle.
const STEPS = 24;
const TRAIN = ['train', '--model', 'vit', '--config', '{"img_size":28,"patch_size":7,"in_chans":1,"embed_dim":192,"depth":2,"num_heads":3,"num_classes":10}',
  '--data', 'mnist', '--train-size', '128', '--eval-size', '50', '--steps', String(STEPS), '--batch-size', '8', '--save-every', '4',
  '--eval-every', '0', '--log-every', '4', '--seed', '7', '--no-progress'];

type Kill = { when: 'write'; nth: number } | { when: 'after'; ms: number } | { when: 'never' };

/** Run `wsel train`; SIGKILL it at the moment `kill` says. Resolves with how it ended. */
function trainAndKill(out: string, resume: boolean, kill: Kill): Promise<{ code: number | null; signal: string | null; stderr: string }> {
  fs.mkdirSync(out, { recursive: true });
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin/wsel.js'), ...TRAIN, '--out', out, ...(resume ? ['--resume'] : [])]);
    let stderr = '';
    child.stderr.on('data', (d) => { stderr += d; });
    let writes = 0;
    let seen = new Set<string>();
    // A checkpoint write shows as last.safetensors.tmp-PID; polled every millisecond while the run lasts.
    const poll = kill.when === 'write' ? setInterval(() => {
      const temps = fs.readdirSync(out).filter((n) => n.startsWith(`last.safetensors.tmp-${child.pid}`));
      for (const t of temps) {
        if (seen.has(t)) continue;
        seen = new Set(temps);
        if (++writes === kill.nth) child.kill('SIGKILL');
      }
      if (temps.length === 0) seen = new Set();
    }, 1) : null;
    const timer = kill.when === 'after' ? setTimeout(() => child.kill('SIGKILL'), kill.ms) : null;
    child.on('error', reject);
    child.stdout.resume(); // unread output would keep 'close' from coming
    child.on('close', (code, signal) => {
      if (poll) clearInterval(poll);
      if (timer) clearTimeout(timer);
      resolve({ code, signal, stderr });
    });
  });
}

/** The step a last.safetensors was saved at, after checking that it opens whole. */
function savedStep(out: string): number | null {
  const file = path.join(out, 'last.safetensors');
  if (!fs.existsSync(file)) return null;
  const reader = openCheckpoint(file);
  try {
    for (const name of reader.tensors.keys()) reader.readBytes(name);
    return (JSON.parse(reader.metadata['wsel.train_state']!) as { step: number }).step;
  } finally {
    reader.close();
  }
}

/** Every tensor's bytes and the training state of DIR/last.safetensors. */
function lastState(out: string): { tensors: Map<string, Buffer>; state: Record<string, unknown> } {
  const reader = openCheckpoint(path.join(out, 'last.safetensors'));
  try {
    const tensors = new Map([...reader.tensors.keys()].map((n) => [n, Buffer.from(reader.readBytes(n))]));
    return { tensors, state: JSON.parse(reader.metadata['wsel.train_state']!) as Record<string, unknown> };
  } finally {
    reader.close();
  }
}

describe('wsel train killed with SIGKILL', () => {
  it('leaves the previous or the new complete last.safetensors, and --resume ends in the same bits', async () => {
    const reference = tmp.file('reference');
    const full = await trainAndKill(reference, false, { when: 'never' });
    expect(full.code, full.stderr).toBe(0);

    const out = tmp.file('killed');
    // The second kill comes in the second write of a run that starts from nothing: the first write's checkpoint
    // stays. A run the poll missed every write of may finish before its kill comes; the loop stops there.
    const kills: Kill[] = [{ when: 'write', nth: 1 }, { when: 'write', nth: 2 }, { when: 'after', ms: 2500 }, { when: 'write', nth: 1 }];
    const stepsSeen: (number | null)[] = [];
    let tornWrites = 0;
    for (const [i, kill] of kills.entries()) {
      const run = await trainAndKill(out, i > 0, kill);
      if (run.signal === null) { // finished before the kill came
        expect(run.code, run.stderr).toBe(0);
        stepsSeen.push(savedStep(out));
        break;
      }
      expect(run.signal).toBe('SIGKILL');
      if (fs.readdirSync(out).some((n) => n.startsWith('last.safetensors.tmp-'))) tornWrites++;
      const step = savedStep(out);
      if (step !== null) expect(step % 4 === 0 || step % 16 === 0, `saved at step ${step}`).toBe(true);
      stepsSeen.push(step);
    }
    // Killed in the middle of at least one checkpoint write, with a complete checkpoint left in place.
    expect(tornWrites).toBeGreaterThan(0);
    expect(stepsSeen.some((s) => s !== null)).toBe(true);

    const rest = await trainAndKill(out, true, { when: 'never' });
    expect(rest.code, rest.stderr).toBe(0);
    expect(fs.readFileSync(path.join(out, 'final.safetensors')).equals(fs.readFileSync(path.join(reference, 'final.safetensors')))).toBe(true);
    // last.safetensors: the same tensors (weights, AdamW moments) and state; only the recorded training time differs.
    const [a, b] = [out, reference].map((d) => lastState(d));
    expect(a!.tensors).toEqual(b!.tensors);
    expect({ ...a!.state, train_seconds: 0 }).toEqual({ ...b!.state, train_seconds: 0 });
    // The temp files of killed writers are gone once a later run saves the same file.
    expect(fs.readdirSync(out).filter((n) => n.includes('.tmp-'))).toEqual([]);
  }, 600_000); // six training runs; minutes on a loaded 2-core machine
});
