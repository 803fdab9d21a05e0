// What every command shares: JSON arguments, progress on stderr, and turning errors into exit codes.
import { readFileSync, existsSync } from 'node:fs';
import cliProgress from 'cli-progress';
import { EXIT_CODES, WselError } from '../errors.js';
import { parseJsonObject } from '../safe-json.js';

/** An error in what the user asked for: printed without a stack trace, exit code 2. */
export class UsageError extends WselError {
  constructor(message: string) {
    super(message, EXIT_CODES.usage);
  }
}

/** Parse a JSON object given inline or as a path to a .json file. */
export function parseJsonArg(flag: string, text: string): Record<string, unknown> {
  const inline = /^\s*[{[]/.test(text);
  if (!inline && !existsSync(text)) {
    // A name with a folder or an extension is a file the user meant; anything else was meant as JSON.
    if (/[\\/]|\.\w+$/.test(text)) throw new UsageError(`${flag} ${text}: file not found`);
    throw new UsageError(`${flag}: "${text}" is neither a JSON object nor a file; give '{"embed_dim":192}' or a .json file`);
  }
  const source = inline ? text : readJsonFile(flag, text);
  const where = inline ? flag : `${flag} ${text}`;
  return parseJsonObject(source, (problem) => {
    // JSON.parse quotes the text it failed on; for a file that can be a screenful (or binary), so it is cut.
    const short = problem.replace(/, ".*"(?:\.\.\.)? is not valid JSON\)$/s, ')');
    const hint = inline && short.startsWith('not valid JSON') ? '; give an object like \'{"embed_dim":192}\' or a .json file' : '';
    return new UsageError(`${where}: ${short}${hint}`);
  });
}

function readJsonFile(flag: string, file: string): string {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new UsageError(`${flag} ${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  // A checkpoint given where a config belongs: say so instead of printing its bytes.
  if (bytes.subarray(0, 4096).includes(0)) {
    throw new UsageError(`${flag} ${file}: a binary file (a checkpoint?), not a JSON config`);
  }
  return bytes.toString('utf8');
}

export function parseIntArg(flag: string, text: string, min = 0): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < min) throw new UsageError(`${flag} must be an integer >= ${min}, got "${text}"`);
  return n;
}

export function parseChoice<T extends string>(flag: string, text: string, choices: readonly T[]): T {
  if (!(choices as readonly string[]).includes(text)) {
    throw new UsageError(`${flag} must be one of ${choices.join(', ')}; got "${text}"`);
  }
  return text as T;
}

/** A progress bar on stderr when it is a terminal; silent otherwise (logs, CI, pipes). */
export interface Progress {
  update(done: number, total: number, label?: string): void;
  stop(): void;
}

export function progressBar(title: string, enabled = Boolean(process.stderr.isTTY)): Progress {
  if (!enabled) return { update() {}, stop() {} };
  const bar = new cliProgress.SingleBar({
    stream: process.stderr,
    format: `${title} [{bar}] {value}/{total} {label} | {duration_formatted} elapsed, eta {eta_formatted}`,
    hideCursor: true,
    clearOnComplete: true,
    etaBuffer: 50,
  }, cliProgress.Presets.shades_classic);
  let started = false;
  return {
    update(done, total, label = '') {
      if (!started) {
        bar.start(total, done, { label });
        started = true;
      } else {
        bar.setTotal(total);
        bar.update(done, { label });
      }
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

export function formatCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)}B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}K`;
  return String(n);
}

export function formatBytes(n: number): string {
  if (n >= 2 ** 30) return `${(n / 2 ** 30).toFixed(2)} GiB`;
  if (n >= 2 ** 20) return `${(n / 2 ** 20).toFixed(1)} MiB`;
  if (n >= 2 ** 10) return `${(n / 2 ** 10).toFixed(1)} KiB`;
  return `${n} B`;
}
