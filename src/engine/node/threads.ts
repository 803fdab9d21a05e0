// Helper threads in Node: node:worker_threads workers running the pool's kernel server
// (worker-entry.ts). Workers are unref'd so they never keep the process alive.

import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { HelperThread, ThreadPlatform } from '../threads/pool.js';

/** The worker's bootstrap code: the compiled entry, or under TypeScript sources (tests, tsx) tsx first. */
function entryCode(): string {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return `import(${JSON.stringify(new URL('./worker-entry.js', here).href)})`;
  const tsxDir = dirname(createRequire(here).resolve('tsx/package.json'));
  const api = pathToFileURL(join(tsxDir, 'dist', 'esm', 'api', 'index.mjs')).href;
  const entry = new URL('./worker-entry.ts', here).href;
  return `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`;
}

export const nodeThreads: ThreadPlatform = {
  start(fail: (why: string) => void): HelperThread {
    const worker = new Worker(entryCode(), { eval: true });
    worker.unref();
    let stopping = false;
    worker.on('error', (err) => fail(err.message));
    worker.on('exit', () => { if (!stopping) fail('a helper thread exited'); });
    return {
      post: (message) => worker.postMessage(message),
      terminate: () => { stopping = true; void worker.terminate(); },
    };
  },
};
