// Why the OpenBLAS addon is or is not in use, and what building it needs here: for `wsel info`.
// Probes the C toolchain the way scripts/build-native.mjs needs it (a compiler, OpenBLAS's cblas.h,
// and -lopenblas to link against).

import { spawnSync } from 'node:child_process';
import { loadOpenBlasAddon } from './openblas.js';

export interface NativeStatus {
  /** The addon loads. */
  built: boolean;
  /** Why it does not load. */
  reason?: string;
  /** The C compiler's first --version line, or null when there is none. */
  compiler: string | null;
  /** OpenBLAS as the build sees it (only probed when there is a compiler and no addon). */
  openblas?: 'found' | 'headers missing (cblas.h)' | 'library missing (-lopenblas)';
}

function probe(cc: string, args: string[], input: string): boolean {
  const r = spawnSync(cc, args, { input, encoding: 'utf8', timeout: 30_000 });
  return r.status === 0;
}

export function nativeStatus(env: Readonly<Record<string, string | undefined>> = process.env,
  loaded: { addon: unknown } | { reason: string } = loadOpenBlasAddon()): NativeStatus {
  const cc = env['CC'] || 'cc';
  const version = spawnSync(cc, ['--version'], { encoding: 'utf8', timeout: 30_000 });
  const compiler = version.error || version.status !== 0 ? null : (version.stdout.split('\n')[0] ?? cc).trim();
  if ('addon' in loaded) return { built: true, compiler };
  const status: NativeStatus = { built: false, reason: loaded.reason, compiler };
  if (compiler === null) return status;
  if (!probe(cc, ['-E', '-x', 'c', '-', '-o', '/dev/null'], '#include <cblas.h>\n')) {
    status.openblas = 'headers missing (cblas.h)';
  } else if (!probe(cc, ['-x', 'c', '-', '-lopenblas', '-o', '/dev/null'], 'void cblas_sgemm(void);\nint main(void) { cblas_sgemm(); return 0; }\n')) {
    status.openblas = 'library missing (-lopenblas)';
  } else {
    status.openblas = 'found';
  }
  return status;
}

/** One or two sentences for `wsel info`: what is lost without the addon and how to get it; null when it is built. */
export function nativeAdvice(s: NativeStatus): string | null {
  if (s.built) return null;
  const lost = 'matrix products run on the portable WebAssembly kernel instead of OpenBLAS, so training steps are '
    + 'slower (`wsel bench train` measures both on this machine)';
  if (s.compiler === null) {
    return `No C compiler found: ${lost}. To build the OpenBLAS addon, install a C compiler and OpenBLAS `
      + '(Debian/Ubuntu: sudo apt-get install -y build-essential libopenblas-dev), then run `npm run build:native`.';
  }
  if (s.openblas !== 'found') {
    return `A C compiler is present (${s.compiler}) but OpenBLAS is not (${s.openblas}): ${lost}. `
      + 'Install OpenBLAS (Debian/Ubuntu: sudo apt-get install -y libopenblas-dev; Fedora: sudo dnf install openblas-devel; '
      + 'macOS: brew install openblas), then run `npm run build:native`.';
  }
  return `A C compiler and OpenBLAS are present but the addon is not built (${s.reason}): ${lost}. `
    + 'Run `npm run build:native` (its log is native/build/build-native.log).';
}
