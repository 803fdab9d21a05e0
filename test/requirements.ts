// What a test needs from the machine beyond Node and npm. Outside CI a missing requirement skips the tests
// that need it, with one line naming what to install; with CI=true it is an error, so CI runs everything.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export type Requirement = 'pytorch' | 'openblas' | 'fashion-mnist' | 'chromium' | 'onnx';

/** Debian's python3-torch installs torch for the system interpreter only; WSEL_TORCH_PYTHON overrides it. */
export const TORCH_PYTHON = process.env['WSEL_TORCH_PYTHON'] ?? '/usr/bin/python3';
/** Debian's chromium; WSEL_CHROMIUM overrides it. */
export const CHROMIUM = process.env['WSEL_CHROMIUM'] ?? '/usr/bin/chromium';
export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(import.meta.url);

interface Check {
  /** What is missing, for the message. */
  name: string;
  /** How to get it. */
  install: string;
  /** Why it is unusable here, or null when it is there. */
  problem(): string | null;
}

function python(code: string): string | null {
  if (!existsSync(TORCH_PYTHON)) return `${TORCH_PYTHON} not found`;
  const r = spawnSync(TORCH_PYTHON, ['-c', code], { encoding: 'utf8' });
  return r.status === 0 ? null : `${TORCH_PYTHON} -c '${code}' failed: ${(r.stderr || '').trim().split('\n').pop()}`;
}

const CHECKS: Record<Requirement, Check> = {
  pytorch: { name: 'PyTorch', install: 'apt-get install python3-torch', problem: () => python('import torch, numpy; torch.zeros(1)') },
  onnx: { name: 'ONNX for Python', install: 'apt-get install python3-onnx', problem: () => python('import onnx') },
  openblas: {
    name: 'the OpenBLAS addon',
    install: 'apt-get install libopenblas-dev build-essential, then npm run build:native',
    problem: () => {
      try {
        require(path.join(REPO_ROOT, 'native/build/Release/wsel_blas.node'));
        return null;
      } catch (e) {
        return (e as Error).message.split('\n')[0]!;
      }
    },
  },
  'fashion-mnist': {
    name: 'Fashion-MNIST',
    install: 'apt-get install dataset-fashion-mnist',
    problem: () => {
      const files = ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'];
      const lacking = files.filter((f) => !existsSync(path.join(FASHION_MNIST_DIR, f)));
      return lacking.length ? `${FASHION_MNIST_DIR} lacks ${lacking.join(', ')}` : null;
    },
  },
  chromium: {
    name: 'Chromium',
    install: 'apt-get install chromium',
    problem: () => {
      if (!existsSync(CHROMIUM)) return `${CHROMIUM} not found`;
      const r = spawnSync(CHROMIUM, ['--version'], { encoding: 'utf8', timeout: 60_000 });
      return r.status === 0 ? null : `${CHROMIUM} --version failed: ${r.error?.message ?? (r.stderr || '').trim().split('\n').pop()}`;
    },
  },
};

export function isCI(): boolean {
  const v = process.env['CI'];
  return v !== undefined && v !== '' && v !== '0' && v.toLowerCase() !== 'false';
}

const known = new Map<Requirement, boolean>();

/**
 * Whether the machine has `req`. When it does not: in CI this throws (the test file fails, naming what is
 * missing); elsewhere it prints one line saying what to install and returns false, for `describe.skipIf`.
 */
export function available(req: Requirement): boolean {
  let ok = known.get(req);
  if (ok === undefined) {
    const check = CHECKS[req];
    const problem = check.problem();
    ok = problem === null;
    known.set(req, ok);
    if (!ok) missing(check.name, check.install, problem!);
  }
  return ok;
}

/**
 * The one policy for anything a test finds missing (also at run time, e.g. the npm registry): throws in CI;
 * elsewhere prints one line and returns, and the caller skips.
 */
export function missing(name: string, install: string, problem: string): void {
  if (isCI()) throw new Error(`CI=true and ${name} is missing (${problem}); install it: ${install}`);
  console.warn(`SKIPPED: tests that need ${name} (${problem}); to run them: ${install}`);
}
