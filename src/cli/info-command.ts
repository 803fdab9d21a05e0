// `wsel info`: what this installation runs on (version, Node, the matrix-product backend and its threads).
import { Command } from 'commander';
import { VERSION } from '../version.js';

export function infoCommand(): Command {
  return new Command('info')
    .summary('show the version and the matrix-product backend in use')
    .description('Show the wsel version, Node version, and which matrix-product backend the engine uses:\n'
      + 'openblas (the native addon, fast), wasm (portable WebAssembly SIMD) or typescript (portable, slowest).\n'
      + 'Without the addon: install libopenblas-dev and a C compiler, then `npm run build:native`.\n'
      + 'WSEL_BLAS=openblas|wasm|typescript forces a backend.')
    .option('--json', 'print as JSON')
    .action(async (flags: { json?: boolean }) => {
      const { blasBackend } = await import('../engine/blas.js');
      const backend = blasBackend();
      const info = { wsel: VERSION, node: process.version, blas: backend };
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(info, null, 2)}\n`);
        return;
      }
      process.stdout.write(`wsel ${VERSION} on Node ${process.version}\n`
        + `matrix products: ${backend.name} (${backend.threads} thread${backend.threads === 1 ? '' : 's'})`
        + `${backend.reason ? ` - ${backend.reason}` : ''}\n`);
    });
}
