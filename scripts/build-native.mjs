#!/usr/bin/env node
// Builds the optional OpenBLAS addon (native/ -> native/build/Release/wsel_blas.node) with node-gyp.
// The addon only makes training faster, so a failed build must never fail `npm install`: on any
// failure this prints one line to stderr, keeps the full log in native/build/build-native.log,
// and exits 0. The engine then uses its portable TypeScript kernel.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const nativeDir = join(root, 'native');
const buildDir = join(nativeDir, 'build');
const addonPath = join(buildDir, 'Release', 'wsel_blas.node');
const logPath = join(buildDir, 'build-native.log');

function giveUp(reason, log) {
  let where = '';
  if (log) {
    try {
      mkdirSync(buildDir, { recursive: true });
      writeFileSync(logPath, log);
      where = `, log: ${relative(process.cwd(), logPath) || logPath}`;
    } catch {
      // The log is a convenience; the one-line message below is what matters.
    }
  }
  // Installed as a dependency, the build is redone by `npm rebuild wsel`; in a clone, by the npm script.
  const again = root.split(/[\\/]/).includes('node_modules') ? 'npm rebuild wsel' : 'npm run build:native';
  process.stderr.write(
    `wsel: native BLAS addon not built (${reason}${where}); using the portable backend, slower. ` +
      `Install libopenblas-dev and a C compiler, then \`${again}\`.\n`,
  );
  process.exit(0);
}

// node-gyp ships inside npm; npm tells its scripts where (npm_config_node_gyp). Outside npm, look
// for a local install, then for the copy inside the npm that sits next to this node.
function findNodeGyp() {
  const candidates = [process.env.npm_config_node_gyp];
  try {
    candidates.push(createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js'));
  } catch {
    // not installed locally
  }
  if (process.env.npm_execpath) {
    candidates.push(join(dirname(process.env.npm_execpath), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  }
  candidates.push(
    resolve(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  );
  return candidates.find((p) => p && existsSync(p));
}

// node-gyp downloads Node's headers unless told where they are. Without a network that fails, so
// point it at the headers installed with this node when npm has not already set nodedir.
function nodedirArgs() {
  if (process.env.npm_config_nodedir) return [];
  const prefix = resolve(dirname(process.execPath), '..');
  return existsSync(join(prefix, 'include', 'node', 'node_api.h')) ? [`--nodedir=${prefix}`] : [];
}

// Turns a compiler/linker/node-gyp transcript into a short cause.
function diagnose(output) {
  if (/cblas\.h: No such file/.test(output)) return 'OpenBLAS headers (cblas.h) not found';
  if (/cannot find -lopenblas|openblas.*not found/i.test(output)) return 'OpenBLAS library (-lopenblas) not found';
  if (/spawn make ENOENT|not found: make|make: (command )?not found/i.test(output)) return 'make not found';
  if (/Error 127\b/.test(output)) return 'a build tool (C compiler) not found';
  if (/Could not find any Python/i.test(output)) return 'node-gyp found no Python';
  if (/node_api\.h: No such file|network connectivity|ENOTFOUND|EAI_AGAIN/i.test(output)) {
    return 'Node.js headers not available';
  }
  return 'node-gyp build failed';
}

// Checked first because the compiler's absence is the likeliest failure and node-gyp reports it badly.
const cc = process.env.CC || 'cc';
if (spawnSync(cc, ['--version'], { stdio: 'ignore' }).error) giveUp(`no C compiler (\`${cc}\` not found)`);

const nodeGyp = findNodeGyp();
if (!nodeGyp) giveUp('node-gyp not found');

const build = spawnSync(process.execPath, [nodeGyp, 'rebuild', '--release', ...nodedirArgs()], {
  cwd: nativeDir,
  encoding: 'utf8',
  maxBuffer: 64 * 1024 * 1024,
  timeout: 10 * 60 * 1000,
});
const transcript = `${build.stdout ?? ''}${build.stderr ?? ''}${build.error ? `\n${build.error.stack}` : ''}`;
if (build.error) giveUp(`could not run node-gyp: ${build.error.message}`, transcript);
if (build.status !== 0) giveUp(diagnose(transcript), transcript);
if (!existsSync(addonPath)) giveUp('node-gyp produced no wsel_blas.node', transcript);

// Load it in a fresh process and multiply 2x2 matrices, so a broken library is caught here and
// not in the middle of a training run.
const probe = spawnSync(
  process.execPath,
  [
    '-e',
    `const b = require(${JSON.stringify(addonPath)});
     const a = new Float32Array([1, 2, 3, 4]), c = new Float32Array(4);
     b.sgemm(false, false, 2, 2, 2, 1, a, 0, 2, a, 0, 2, 0, c, 0, 2);
     if (c.join() !== '7,10,15,22') throw new Error('wrong product ' + c.join());
     process.stdout.write(String(b.getThreads()));`,
  ],
  { encoding: 'utf8', timeout: 60 * 1000 },
);
if (probe.status !== 0) {
  const firstLine = (probe.stderr || '').split('\n').find((l) => /Error/.test(l)) ?? 'unknown error';
  rmSync(addonPath, { force: true }); // so the engine does not try a broken addon
  giveUp(`built addon does not load: ${firstLine.trim()}`, `${transcript}\n--- load check ---\n${probe.stderr}`);
}
writeFileSync(logPath, transcript);
process.stdout.write(`wsel: native BLAS addon built (OpenBLAS, ${probe.stdout.trim()} threads)\n`);
