// A run's commands, each in its own `wsel` process (so what ran is exactly what is printed and recorded), output
// appended to the run's log.txt. The runner can stop them (SIGINT: they save their state) or quit them.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { shellQuote } from './plan.js';

/** The `wsel` launcher of this package (bin/ sits two folders above src/experiment and dist/experiment). */
export const WSEL_BIN = fileURLToPath(new URL('../../bin/wsel.js', import.meta.url));

/**
 * Node flags for each command. Node 20 can deadlock at exit while a background TurboFan job waits for a garbage
 * collection on the main thread (nodejs/node#54918): the process prints its result, then hangs. The launcher's
 * v8.setFlagsFromString comes too late to stop those jobs; the flag works only on node's command line.
 */
export const NODE_FLAGS = ['--no-concurrent-recompilation'];

/** The `wsel` processes running now, so that quitting the runner does not leave them behind. */
const running = new Set<ChildProcess>();

/** Quit now: a second SIGINT to every running command (which then exits at once, like a second Ctrl-C). */
export function quitRunningCommands(): void {
  for (const child of running) child.kill('SIGINT');
}

/** Run `wsel ARGV`, appending to logFile; `shouldStop` is polled and, once true, the command gets SIGINT. Resolves to its exit code. */
export function runCommand(argv: string[], logFile: string, env: NodeJS.ProcessEnv, shouldStop: () => boolean): Promise<number> {
  return new Promise((resolve, reject) => {
    const fd = fs.openSync(logFile, 'a');
    fs.writeSync(fd, `$ ${shellQuote(['wsel', ...argv])}\n`);
    const child = spawn(process.execPath, [...NODE_FLAGS, WSEL_BIN, ...argv], { stdio: ['ignore', fd, fd], env });
    running.add(child);
    child.on('exit', () => running.delete(child));
    let signalled = false;
    const timer = setInterval(() => {
      if (!signalled && shouldStop()) {
        signalled = true;
        child.kill('SIGINT');
      }
    }, 200);
    child.on('error', (e) => {
      clearInterval(timer);
      fs.closeSync(fd);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearInterval(timer);
      fs.closeSync(fd);
      resolve(code ?? (signal ? 128 + 2 : 1));
    });
  });
}

/** The last lines of a log, on one line (for a failure message). */
export function logTail(file: string, lines = 3): string {
  try {
    return fs.readFileSync(file, 'utf8').trim().split('\n').slice(-lines).join(' | ');
  } catch {
    return '';
  }
}
