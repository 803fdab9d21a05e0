// The shared vocabulary of every checkpoint format: what a tensor looks like on disk and how to read it lazily.
import { WselError } from '../errors.js';

/** Element types of the safetensors format (also used for PyTorch storages). */
export type DType =
  | 'BOOL' | 'U8' | 'I8' | 'I16' | 'U16' | 'F16' | 'BF16' | 'I32' | 'U32'
  | 'F32' | 'F64' | 'I64' | 'U64' | 'F8_E4M3' | 'F8_E5M2';

/** One tensor of a checkpoint: where its little-endian, row-major bytes lie, without loading them. */
export interface TensorInfo {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly number[];
  /** The file that holds the bytes (a shard, or the member of a .pth zip). */
  readonly file: string;
  /** Absolute byte offset of the first element in `file` (may exceed 2^32). */
  readonly offset: number;
  /** Byte length of the tensor (product of shape times element size). */
  readonly byteLength: number;
  /**
   * Element strides, present only for a non-contiguous tensor of a PyTorch file. Then `offset` is where the
   * tensor's first element lies but its bytes are not one run of `byteLength` bytes: read it through
   * `CheckpointReader.readBytes`, which returns the contiguous row-major copy.
   */
  readonly strides?: readonly number[];
}

/** A checkpoint opened for lazy, random-access reading. */
export interface CheckpointReader {
  /** The path the user gave (file, index.json or folder). */
  readonly path: string;
  readonly format: 'safetensors' | 'safetensors-sharded' | 'pytorch';
  /** safetensors `__metadata__` (string to string); empty when the format has none. */
  readonly metadata: Readonly<Record<string, string>>;
  /** Tensors in file order. */
  readonly tensors: ReadonlyMap<string, TensorInfo>;
  /**
   * Read `length` bytes of a tensor starting `byteStart` bytes into it, into `into` (or a new buffer).
   * Throws an error naming the file when the read comes back short (truncated file).
   */
  readBytes(name: string, byteStart?: number, length?: number, into?: Uint8Array): Uint8Array;
  /** Release file handles. */
  close(): void;
}

/** A tensor to be written: its header entry. Data is supplied separately, in chunks, in declaration order. */
export interface TensorHeader {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly number[];
}

/**
 * Streams a checkpoint to disk without holding it in memory: tensor bytes are supplied in `order`, and
 * nothing appears at the final path(s) until `commit()` (everything goes to temp files first).
 */
export interface CheckpointWriter {
  /** The order in which tensor bytes must be supplied. */
  readonly order: readonly TensorHeader[];
  /** The final paths commit() will create (or replace). */
  readonly targets: readonly string[];
  /** Append bytes of the current tensor (any chunking; a chunk may span tensor boundaries). */
  write(bytes: Uint8Array): void;
  /** Check every byte was supplied, fsync, rename the temp file(s) into place; returns the final paths. */
  commit(): string[];
  /** Delete the temp files; safe to call twice, and after a failed commit. */
  abort(): void;
}

/** Raised for every malformed, truncated or unsupported input file; the message names the file. */
export class CheckpointError extends WselError {
  constructor(readonly file: string, problem: string) {
    super(`${file}: ${problem}`);
  }
}
