// `wsel info`: what this installation runs on (version, Node, the matrix-product backend, the engine's
// threads) and, without the OpenBLAS addon, what that costs and how to build it.
import { Command } from 'commander';
import { VERSION } from '../version.js';

export function infoCommand(): Command {
  return new Command('info')
    .summary('show the version, the matrix-product backend and the engine\'s threads')
    .description('Show the wsel version, Node version, which matrix-product backend the engine uses -\n'
      + 'openblas (the native addon, fast), wasm (portable WebAssembly SIMD) or typescript (portable, slowest) -\n'
      + 'and how many threads run the engine\'s own kernels. Without the addon it says why and what\n'
      + 'building it needs here (a C compiler, libopenblas-dev, then `npm run build:native`).\n'
      + 'WSEL_BLAS=openblas|wasm|typescript forces a backend; WSEL_THREADS=N sets the engine\'s threads.')
    .option('--json', 'print as JSON')
    .action(async (flags: { json?: boolean }) => {
      const { blasBackend, initThreads } = await import('../engine/index.js');
      const { nativeAdvice, nativeStatus } = await import('../engine/node/native-status.js');
      const threads = await initThreads();
      const backend = blasBackend();
      const native = nativeStatus();
      const advice = nativeAdvice(native);
      const info = { wsel: VERSION, node: process.version, blas: backend, threads, native, ...(advice ? { advice } : {}) };
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(info, null, 2)}\n`);
        return;
      }
      const plural = (n: number): string => `${n} thread${n === 1 ? '' : 's'}`;
      process.stdout.write(`wsel ${VERSION} on Node ${process.version}\n`
        + `matrix products: ${backend.name} (${plural(backend.threads)})${backend.reason ? ` - ${backend.reason}` : ''}\n`
        + `engine kernels: ${plural(threads.threads)}${threads.reason ? ` - ${threads.reason}` : ''}\n`
        + (advice ? `${advice}\n` : ''));
    });
}
