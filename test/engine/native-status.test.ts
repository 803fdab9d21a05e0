// What `wsel info` says about the OpenBLAS addon: the toolchain probe (with stand-in compilers that
// lack OpenBLAS's header or library) and the advice for each case.
import { chmodSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { nativeAdvice, nativeStatus } from '../../src/engine/node/native-status.js';
import { makeTmpDir } from '../helpers.js';

const tmp = makeTmpDir('wsel-native-');
afterAll(() => tmp.cleanup());

/** A stand-in `cc`: answers --version; fails preprocessing (no cblas.h) or linking (no -lopenblas) when told to. */
function fakeCompiler(name: string, fails: 'header' | 'library' | 'nothing'): string {
  const path = tmp.file(name);
  writeFileSync(path, `#!/bin/sh
case "$1" in --version) echo "fakecc 1.0"; exit 0;; esac
for a in "$@"; do
  [ "$a" = "-E" ] && { [ "${fails}" = header ] && exit 1; exit 0; }
  [ "$a" = "-lopenblas" ] && { [ "${fails}" = library ] && exit 1; exit 0; }
done
exit 0
`);
  chmodSync(path, 0o755);
  return path;
}

const NOT_BUILT = { reason: 'native addon not built (npm run build:native)' };

describe('OpenBLAS addon status and advice', () => {
  it('a compiler without OpenBLAS headers: says what is lost and how to install OpenBLAS', () => {
    const s = nativeStatus({ CC: fakeCompiler('cc-noheader', 'header') }, NOT_BUILT);
    expect(s).toMatchObject({ built: false, compiler: 'fakecc 1.0', openblas: 'headers missing (cblas.h)' });
    const advice = nativeAdvice(s)!;
    expect(advice).toMatch(/C compiler is present \(fakecc 1\.0\) but OpenBLAS is not/);
    expect(advice).toMatch(/WebAssembly kernel instead of OpenBLAS/);
    expect(advice).toMatch(/apt-get install -y libopenblas-dev.*npm run build:native/);
  });

  it('a compiler with the header but no library to link', () => {
    const s = nativeStatus({ CC: fakeCompiler('cc-nolib', 'library') }, NOT_BUILT);
    expect(s.openblas).toBe('library missing (-lopenblas)');
    expect(nativeAdvice(s)).toMatch(/library missing/);
  });

  it('everything present but the addon not built: run the build', () => {
    const s = nativeStatus({ CC: fakeCompiler('cc-ok', 'nothing') }, NOT_BUILT);
    expect(s.openblas).toBe('found');
    expect(nativeAdvice(s)).toMatch(/Run `npm run build:native`/);
  });

  it('no compiler at all', () => {
    const s = nativeStatus({ CC: tmp.file('no-such-cc') }, NOT_BUILT);
    expect(s.compiler).toBeNull();
    expect(nativeAdvice(s)).toMatch(/No C compiler found.*build-essential libopenblas-dev/);
  });

  it('nothing to advise when the addon is built', () => {
    expect(nativeAdvice(nativeStatus({}, { addon: {} }))).toBeNull();
  });
});
