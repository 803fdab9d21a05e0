#!/usr/bin/env node
// Launcher: the CLI is compiled from src/ into dist/ by `npm install` (the prepare script) or `npm run build`.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';

// Node 20's V8 can deadlock at exit when a background recompilation is in flight (the process prints its
// result, then hangs). Recompiling on the main thread avoids it; set before any of wsel's code is compiled.
v8.setFlagsFromString('--no-concurrent-recompilation');

// A closed pipe (`wsel inspect x | head`) is not an error.
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

const main = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(main))) {
  process.stderr.write('wsel: dist/ is missing; run `npm install` (or `npm run build`) in the package folder first.\n');
  process.exit(1);
}
const { run } = await import(main.href);
process.exitCode = await run(process.argv);
