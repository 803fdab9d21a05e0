// Where checkpoint bytes come from and go to, without saying how: the readers parse byte ranges of a ByteSource
// and the writers stream into ByteSinks. Node supplies files (src/checkpoint/node/), a browser Blobs and
// downloads, tests memory; nothing here touches a file system, so the formats run wherever JavaScript does.
import { CheckpointError } from './types.js';

/** Random-access bytes of one file: a file on disk, a Blob in a Web Worker, or memory. */
export interface ByteSource {
  /** How errors name it: a path in Node, a file name in a browser. */
  readonly name: string;
  /** Total length in bytes. */
  readonly size: number;
  /**
   * Copy the bytes at [offset, offset + into.length) into `into`; returns how many were copied, fewer only when
   * the source ends first. Reads are synchronous (in a browser: FileReaderSync on Blob.slice in a worker).
   */
  read(offset: number, into: Uint8Array): number;
  /** Release what the source holds open (a file descriptor). Optional; reading after close may fail. */
  close?(): void;
}

/** Fill `into` from `offset`; a source that ends early is a CheckpointError saying what was being read. */
export function readExact(source: ByteSource, offset: number, into: Uint8Array, what: string): Uint8Array {
  const n = into.length === 0 ? 0 : source.read(offset, into);
  if (n < into.length) {
    throw new CheckpointError(source.name,
      `truncated: ${what} needs bytes up to ${offset + into.length} but the file ends at ${offset + n}`);
  }
  return into;
}

/** `length` bytes at `offset`, in a new buffer. */
export function readAt(source: ByteSource, offset: number, length: number, what: string): Uint8Array {
  return readExact(source, offset, new Uint8Array(length), what);
}

/** A source over bytes in memory (tests, small files a browser has already read). */
export function memorySource(name: string, bytes: Uint8Array): ByteSource {
  return {
    name,
    size: bytes.length,
    read(offset, into) {
      const part = bytes.subarray(Math.min(offset, bytes.length), Math.min(offset + into.length, bytes.length));
      into.set(part);
      return part.length;
    },
  };
}

/**
 * One output file being written. Nothing is visible under `name` until publish(): a writer finishes every file
 * of a checkpoint first, then publishes them, so a failure never leaves a half-written checkpoint.
 */
export interface ByteSink {
  readonly name: string;
  /** Append bytes. The sink copies what it keeps: callers reuse their buffers. */
  write(bytes: Uint8Array): void;
  /** Every byte is written: make them durable (still not visible under `name`). */
  finish(): void;
  /** Make the finished file visible under `name`, replacing any file there (a rename, in Node). */
  publish(): void;
  /** Throw the file away; safe to call twice and after a failed finish; does nothing once published. */
  abort(): void;
}

/** Opens the sink for one output file by name (a path in Node, a file name in a browser). */
export type SinkFactory = (name: string) => ByteSink;

/** Output files kept in memory: published files appear in `files` as their chunks (a browser makes Blobs of them). */
export function memorySinks(): { open: SinkFactory; files: Map<string, Uint8Array[]> } {
  const files = new Map<string, Uint8Array[]>();
  const open = (name: string): ByteSink => {
    let chunks: Uint8Array[] | undefined = [];
    let finished = false;
    return {
      name,
      write(bytes) {
        if (chunks === undefined || finished) throw new CheckpointError(name, 'write after finish or abort');
        chunks.push(bytes.slice());
      },
      finish() {
        if (chunks === undefined) throw new CheckpointError(name, 'finish after abort');
        finished = true;
      },
      publish() {
        if (chunks === undefined || !finished) throw new CheckpointError(name, 'publish before finish');
        files.set(name, chunks);
      },
      abort() {
        if (!files.has(name) || files.get(name) !== chunks) chunks = undefined;
      },
    };
  };
  return { open, files };
}

/** The bytes of a file given as chunks, in one buffer. */
export function concatChunks(chunks: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const c of chunks) length += c.length;
  const out = new Uint8Array(length);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
