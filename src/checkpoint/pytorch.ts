// PyTorch zip checkpoints (torch.save since 1.6): `<prefix>/data.pkl` describes the state dict and refers to
// storages `<prefix>/data/<key>`, stored uncompressed, so every tensor is a byte range of the zip file. The
// pickle goes through the restricted unpickler with an allow-list of the few globals a state dict needs.
import { preview } from '../safe-json.js';
import { decodeLatin1 } from './bytes.js';
import { dtypeSize, numel } from './dtype.js';
import { PyCallable, PyTuple, describe, unpickle } from './pickle.js';
import { rangeBuffer } from './range.js';
import { readAt, readExact, type ByteSource } from './source.js';
import { readStrided } from './strided.js';
import { CheckpointError, type CheckpointReader, type DType, type TensorInfo } from './types.js';
import { memberDataOffset, readZipDirectory, type ZipEntry } from './zip.js';

const STORAGE_DTYPES: Readonly<Record<string, DType>> = {
  FloatStorage: 'F32', DoubleStorage: 'F64', HalfStorage: 'F16', BFloat16Storage: 'BF16',
  LongStorage: 'I64', IntStorage: 'I32', ShortStorage: 'I16', CharStorage: 'I8', ByteStorage: 'U8',
  BoolStorage: 'BOOL', Float8_e4m3fnStorage: 'F8_E4M3', Float8_e5m2Storage: 'F8_E5M2',
};

/** Wrappers unwrapped at the top level, in this order of preference. */
const WRAPPER_KEYS = ['model', 'state_dict', 'module'];
const MAX_PICKLE_BYTES = 1 << 30;
/** More dimensions than any real tensor has; a longer shape is refused before it costs work per element. */
const MAX_RANK = 64;

class StorageType {
  constructor(readonly dtype: DType) {}
}

interface Storage {
  readonly key: string;
  readonly dtype: DType;
  readonly numel: number;
  /** Absolute offset of the storage's first byte in the zip file. */
  readonly dataOffset: number;
}

class TorchTensor {
  constructor(readonly storage: Storage, readonly storageOffset: number, readonly shape: number[], readonly strides: number[]) {}
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/** A shape or stride tuple (at most MAX_RANK long, else undefined like any malformed one). */
function counts(v: unknown): number[] | undefined {
  const items = v instanceof PyTuple ? v.items : Array.isArray(v) ? v : undefined;
  return items !== undefined && items.length <= MAX_RANK && items.every(isCount) ? [...items] : undefined;
}

function isContiguous(shape: readonly number[], strides: readonly number[]): boolean {
  let expected = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    if (shape[i] !== 1 && strides[i] !== expected) return false;
    expected *= shape[i]!;
  }
  return true;
}

/** What the pickle of one archive may reference: storages by key, and the allow-listed globals. */
function makeHooks(source: ByteSource, entries: ReadonlyMap<string, ZipEntry>, prefix: string) {
  const file = source.name;
  const storages = new Map<string, Storage>();
  const rebuildTensor = (args: readonly unknown[]): TorchTensor => {
    const [storage, offset, size, stride] = args;
    const shape = counts(size);
    const strides = counts(stride);
    if (typeof storage !== 'object' || storage === null || storages.get((storage as Storage).key) !== storage || !isCount(offset) ||
        shape === undefined || strides === undefined || shape.length !== strides.length) {
      throw new CheckpointError(file, `bad pickle: malformed _rebuild_tensor_v2 arguments (a storage, an offset, and size and stride tuples of equal length, at most ${MAX_RANK})`);
    }
    const s = storage as Storage;
    const view = `tensor view [offset ${offset}, shape ${preview(shape)}, strides ${preview(strides)}]`;
    const n = numel(shape);
    if (!Number.isSafeInteger(n * dtypeSize(s.dtype))) throw new CheckpointError(file, `${view} declares more elements than any file can describe`);
    // The storage element of the view's last element; every element lies between offset and it (strides >= 0).
    let last = offset;
    for (let i = 0; i < shape.length; i++) last += Math.max(0, shape[i]! - 1) * strides[i]!;
    if (n > 0 ? !(last < s.numel) : offset > s.numel) {
      throw new CheckpointError(file, `${view} runs past its storage ${s.key} of ${s.numel} elements`);
    }
    return new TorchTensor(s, offset, shape, strides);
  };
  const unwrapParameter = (args: readonly unknown[]): unknown => {
    if (!(args[0] instanceof TorchTensor)) throw new CheckpointError(file, 'bad pickle: a Parameter without tensor data');
    return args[0];
  };
  const allowed: Record<string, unknown> = {
    'collections.OrderedDict': new PyCallable('collections.OrderedDict', (args) => {
      if (args.length === 0) return new Map();
      // The dict itself, not a copy: a pickle that rebuilds a large dict many times must not cost that many copies.
      if (args[0] instanceof Map) return args[0];
      throw new CheckpointError(file, 'bad pickle: OrderedDict built from something other than a dict');
    }),
    'torch._utils._rebuild_tensor_v2': new PyCallable('torch._utils._rebuild_tensor_v2', rebuildTensor),
    'torch._utils._rebuild_parameter': new PyCallable('torch._utils._rebuild_parameter', unwrapParameter),
    'torch._utils._rebuild_parameter_with_state': new PyCallable('torch._utils._rebuild_parameter_with_state', unwrapParameter),
  };
  return {
    findClass(module: string, name: string): unknown {
      const qualified = `${module}.${name}`;
      if (Object.hasOwn(allowed, qualified)) return allowed[qualified];
      if (module === 'torch' && Object.hasOwn(STORAGE_DTYPES, name)) return new StorageType(STORAGE_DTYPES[name]!);
      throw new CheckpointError(file, `refusing to load: the pickle references ${qualified}, which a state dict does not need; loading a checkpoint never runs code`);
    },
    // torch.save writes ('storage', StorageType, key, location, numel) for every storage.
    persistentLoad(pid: unknown): unknown {
      const items = pid instanceof PyTuple ? pid.items : [];
      const [kind, type, key, , count] = items;
      if (kind !== 'storage' || !(type instanceof StorageType) || typeof key !== 'string' || !isCount(count)) {
        throw new CheckpointError(file, `bad pickle: unexpected persistent id (${describe(pid)})`);
      }
      const known = storages.get(key);
      if (known !== undefined) {
        if (known.dtype !== type.dtype) throw new CheckpointError(file, `storage ${key} is used with two dtypes`);
        return known;
      }
      const entry = entries.get(`${prefix}data/${key}`);
      if (entry === undefined) throw new CheckpointError(file, `storage ${key} is missing from the archive (no ${prefix}data/${key})`);
      const needed = count * dtypeSize(type.dtype);
      if (entry.uncompressedSize < needed) {
        throw new CheckpointError(file, `storage ${key} holds ${entry.uncompressedSize} bytes, but ${count} ${type.dtype} elements need ${needed}`);
      }
      const storage: Storage = { key, dtype: type.dtype, numel: count, dataOffset: memberDataOffset(source, entry) };
      storages.set(key, storage);
      return storage;
    },
  };
}

/** The state dict inside the unpickled object: unwrap model/state_dict/module, keep tensors, strip `module.`. */
function stateDict(file: string, root: unknown): Map<string, TorchTensor> {
  if (!(root instanceof Map)) throw new CheckpointError(file, `the checkpoint holds ${describe(root)}, not a dict of tensors`);
  let dict: Map<unknown, unknown> = root;
  for (const key of WRAPPER_KEYS) {
    const inner = root.get(key);
    if (inner instanceof Map) {
      dict = inner;
      break;
    }
  }
  // Ints, floats, strings, nested dicts (epoch, optimizer state, ...) are not weights: ignored.
  const tensors = new Map<string, TorchTensor>();
  for (const [k, v] of dict) if (typeof k === 'string' && v instanceof TorchTensor) tensors.set(k, v);
  if (tensors.size === 0) {
    const keys = [...dict.keys()].slice(0, 10).map((k) => JSON.stringify(k)).join(', ');
    throw new CheckpointError(file, `no tensors found in the checkpoint's dict (keys: ${keys})`);
  }
  // DataParallel / DistributedDataParallel prefix every key with "module.".
  if ([...tensors.keys()].every((k) => k.startsWith('module.'))) {
    return new Map([...tensors].map(([k, v]) => [k.slice('module.'.length), v]));
  }
  return tensors;
}

function toInfo(file: string, name: string, t: TorchTensor): TensorInfo {
  const size = dtypeSize(t.storage.dtype);
  const info = {
    name, dtype: t.storage.dtype, shape: t.shape, file,
    offset: t.storage.dataOffset + t.storageOffset * size,
    byteLength: numel(t.shape) * size,
  };
  return isContiguous(t.shape, t.strides) ? info : { ...info, strides: t.strides };
}

class PytorchReader implements CheckpointReader {
  readonly format = 'pytorch' as const;
  readonly metadata: Readonly<Record<string, string>> = {};
  private closed = false;
  readonly path: string;

  constructor(private readonly source: ByteSource, readonly tensors: ReadonlyMap<string, TensorInfo>) {
    this.path = source.name;
  }

  /**
   * Contiguous tensors are read in place. A non-contiguous one (a transposed or expanded view) is read through
   * its strides: only the elements of the range asked for (see readStrided).
   */
  readBytes(name: string, byteStart = 0, length?: number, into?: Uint8Array): Uint8Array {
    const info = this.tensors.get(name);
    if (info === undefined) throw new CheckpointError(this.path, `no tensor named ${JSON.stringify(name)}`);
    if (this.closed) throw new Error(`${this.path}: reader is closed`);
    const buf = rangeBuffer(info, byteStart, length, into);
    if (info.strides === undefined) return readExact(this.source, info.offset + byteStart, buf, `tensor ${JSON.stringify(name)}`);
    const es = dtypeSize(info.dtype);
    const view = { ...info, strides: info.strides, elementSize: es };
    const first = Math.floor(byteStart / es);
    const end = Math.ceil((byteStart + buf.length) / es);
    if (first * es === byteStart && end * es === byteStart + buf.length) {
      readStrided(this.source, view, first, end - first, buf);
    } else {
      // A range that cuts elements: read the whole elements, keep the bytes asked for.
      const whole = new Uint8Array((end - first) * es);
      readStrided(this.source, view, first, end - first, whole);
      buf.set(whole.subarray(byteStart - first * es, byteStart - first * es + buf.length));
    }
    return buf;
  }

  close(): void {
    if (!this.closed) this.source.close?.();
    this.closed = true;
  }
}

/** Whether bytes start with a zip local header's signature. */
export function isZip(head: Uint8Array): boolean {
  return head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04;
}

function checkZipMagic(source: ByteSource): void {
  const file = source.name;
  const head = readAt(source, 0, Math.min(512, source.size), 'the file signature');
  if (isZip(head)) return;
  const pickle = head.length >= 2 && head[0] === 0x80 && head[1]! <= 5;
  const tar = decodeLatin1(head.subarray(257, 262)) === 'ustar';
  if (pickle || tar) {
    throw new CheckpointError(file, 'legacy (pre-1.6, non-zip) PyTorch format is not supported; re-save with torch >= 1.6 (torch.save(torch.load(path), path))');
  }
  throw new CheckpointError(file, 'not a PyTorch zip checkpoint (no zip signature)');
}

/** Read a PyTorch zip checkpoint (.pth/.pt/.bin) holding a state dict. Nothing in it is ever executed. */
export function openPytorchSource(source: ByteSource): CheckpointReader {
  const path = source.name;
  checkZipMagic(source);
  const entries = new Map(readZipDirectory(source).map((e) => [e.name, e]));
  const pkl = [...entries.keys()].filter((n) => n === 'data.pkl' || n.endsWith('/data.pkl'))
    .sort((a, b) => a.split('/').length - b.split('/').length)[0];
  if (pkl === undefined) throw new CheckpointError(path, 'zip file without data.pkl: not a PyTorch checkpoint');
  const prefix = pkl.slice(0, -'data.pkl'.length);
  const byteorder = entries.get(`${prefix}byteorder`);
  if (byteorder !== undefined) {
    const text = decodeLatin1(readMember(source, byteorder, 16)).trim();
    if (text !== 'little') throw new CheckpointError(path, `byte order "${text}" is not supported (only little-endian)`);
  }
  const root = unpickle(readMember(source, entries.get(pkl)!, MAX_PICKLE_BYTES), makeHooks(source, entries, prefix), path);
  const infos = new Map([...stateDict(path, root)].map(([name, t]) => [name, toInfo(path, name, t)]));
  return new PytorchReader(source, infos);
}

function readMember(source: ByteSource, entry: ZipEntry, limit: number): Uint8Array {
  if (entry.uncompressedSize > limit) throw new CheckpointError(source.name, `zip member ${entry.name} is too large (${entry.uncompressedSize} bytes)`);
  return readAt(source, memberDataOffset(source, entry), entry.uncompressedSize, `zip member ${entry.name}`);
}
