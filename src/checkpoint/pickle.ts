// A restricted unpickler: interprets the pickle opcodes torch.save emits (protocols 0-5, minus extensions and
// out-of-band buffers) into plain values. It never imports or runs anything: every global goes through
// hooks.findClass, which decides what it stands for (or refuses), and calls only reach those stand-ins.
import { decodeLatin1, decodeUtf8, viewOf } from './bytes.js';
import { CheckpointError } from './types.js';

/** A Python tuple (kept apart from lists, which become arrays). */
export class PyTuple {
  constructor(readonly items: readonly unknown[]) {}
}

/** Something a pickle may call (REDUCE / NEWOBJ / INST / OBJ): a stand-in provided by findClass. */
export class PyCallable {
  constructor(readonly qualifiedName: string, readonly call: (args: readonly unknown[]) => unknown) {}
}

export interface PickleHooks {
  /** Resolve a global `module.name`; throw to refuse it. */
  findClass(module: string, name: string): unknown;
  /** Resolve a persistent id (how torch refers to tensor storages). */
  persistentLoad(pid: unknown): unknown;
}

/** Interpret a pickle; dicts become Maps, lists arrays, tuples PyTuples, bytes Uint8Arrays, big ints bigints. */
export function unpickle(data: Uint8Array, hooks: PickleHooks, file: string): unknown {
  const buf = data;
  const view = viewOf(data);
  const fail = (problem: string): never => {
    throw new CheckpointError(file, `bad pickle: ${problem}`);
  };
  let pos = 0;
  // Moves past n bytes and returns where they start.
  const skip = (n: number): number => {
    if (!Number.isSafeInteger(n) || n < 0 || pos + n > buf.length) fail('truncated');
    pos += n;
    return pos - n;
  };
  const take = (n: number): Uint8Array => buf.subarray(skip(n), pos);
  const u8 = (): number => buf[skip(1)]!;
  const u16 = (): number => view.getUint16(skip(2), true);
  const i32 = (): number => view.getInt32(skip(4), true);
  const u32 = (): number => view.getUint32(skip(4), true);
  const u64 = (): number => Number(view.getBigUint64(skip(8), true));
  const line = (): string => {
    const end = buf.indexOf(0x0a, pos);
    if (end < 0) fail('truncated line');
    const text = decodeLatin1(buf.subarray(pos, end));
    pos = end + 1;
    return text;
  };
  let stack: unknown[] = [];
  const marks: unknown[][] = [];
  const memo = new Map<number, unknown>();
  // A function, not stack.push: `stack.push(popMark())` would push onto the array popMark just replaced.
  const push = (v: unknown): void => {
    stack.push(v);
  };
  const pop = (): unknown => {
    if (stack.length === 0) fail('stack underflow');
    return stack.pop();
  };
  const top = (): unknown => (stack.length > 0 ? stack[stack.length - 1] : fail('stack underflow'));
  // Pop everything above the last MARK.
  const popMark = (): unknown[] => {
    const items = stack;
    const prev = marks.pop();
    if (prev === undefined) fail('MARK missing');
    stack = prev!;
    return items;
  };
  const call = (fn: unknown, args: readonly unknown[]): unknown => {
    if (!(fn instanceof PyCallable)) fail(`cannot call ${describe(fn)}`);
    return (fn as PyCallable).call(args);
  };
  const tupleArgs = (v: unknown): readonly unknown[] => (v instanceof PyTuple ? v.items : fail(`expected an argument tuple, got ${describe(v)}`));
  const setItems = (dict: unknown, items: readonly unknown[]): void => {
    if (!(dict instanceof Map)) fail(`SETITEM on ${describe(dict)}`);
    if (items.length % 2 !== 0) fail('odd number of SETITEMS values');
    for (let i = 0; i < items.length; i += 2) (dict as Map<unknown, unknown>).set(items[i], items[i + 1]);
  };
  const append = (list: unknown, items: readonly unknown[]): void => {
    if (Array.isArray(list)) for (const v of items) list.push(v);
    else if (list instanceof Set) for (const v of items) list.add(v);
    else fail(`APPEND on ${describe(list)}`);
  };
  const global = (module: string, name: string): unknown => hooks.findClass(module, name);

  for (;;) {
    const op = u8();
    switch (op) {
      case 0x80: skip(1); break; // PROTO
      case 0x95: skip(8); break; // FRAME: framing is only a read-ahead hint
      case 0x2e: return pop(); // STOP
      case 0x28: marks.push(stack); stack = []; break; // MARK
      case 0x29: push(new PyTuple([])); break; // EMPTY_TUPLE
      case 0x7d: push(new Map()); break; // EMPTY_DICT
      case 0x5d: push([]); break; // EMPTY_LIST
      case 0x8f: push(new Set()); break; // EMPTY_SET
      case 0x90: { const items = popMark(); append(top(), items); break; } // ADDITEMS
      case 0x91: push(new Set(popMark())); break; // FROZENSET
      case 0x74: push(new PyTuple(popMark())); break; // TUPLE
      case 0x85: push(new PyTuple([pop()])); break; // TUPLE1
      case 0x86: { const b = pop(); const a = pop(); push(new PyTuple([a, b])); break; } // TUPLE2
      case 0x87: { const c = pop(); const b = pop(); const a = pop(); push(new PyTuple([a, b, c])); break; } // TUPLE3
      case 0x6c: push(popMark()); break; // LIST
      case 0x64: { const items = popMark(); const d = new Map(); setItems(d, items); push(d); break; } // DICT
      case 0x4e: push(null); break; // NONE
      case 0x88: push(true); break; // NEWTRUE
      case 0x89: push(false); break; // NEWFALSE
      case 0x4b: push(u8()); break; // BININT1
      case 0x4d: push(u16()); break; // BININT2
      case 0x4a: push(i32()); break; // BININT
      case 0x8a: push(longFromBytes(take(u8()))); break; // LONG1
      case 0x8b: push(longFromBytes(take(i32()))); break; // LONG4
      case 0x47: push(view.getFloat64(skip(8), false)); break; // BINFLOAT (big-endian)
      case 0x49: { const t = line(); push(t === '01' ? true : t === '00' ? false : intFromText(t, fail)); break; } // INT
      case 0x4c: push(intFromText(line().replace(/L$/, ''), fail)); break; // LONG
      case 0x46: { const t = line(); const v = Number(t); if (Number.isNaN(v) && !/nan/i.test(t)) fail(`bad FLOAT ${t}`); push(v); break; } // FLOAT
      case 0x58: push(decodeUtf8(take(u32()))); break; // BINUNICODE
      case 0x8c: push(decodeUtf8(take(u8()))); break; // SHORT_BINUNICODE
      case 0x8d: push(decodeUtf8(take(u64()))); break; // BINUNICODE8
      case 0x54: push(decodeLatin1(take(i32()))); break; // BINSTRING (Python 2 str)
      case 0x55: push(decodeLatin1(take(u8()))); break; // SHORT_BINSTRING
      case 0x42: push(take(u32()).slice()); break; // BINBYTES
      case 0x43: push(take(u8()).slice()); break; // SHORT_BINBYTES
      case 0x8e: // BINBYTES8
      case 0x96: push(take(u64()).slice()); break; // BYTEARRAY8
      case 0x71: memo.set(u8(), top()); break; // BINPUT
      case 0x72: memo.set(u32(), top()); break; // LONG_BINPUT
      case 0x70: memo.set(intFromText(line(), fail) as number, top()); break; // PUT
      case 0x94: memo.set(memo.size, top()); break; // MEMOIZE
      case 0x68: push(memoGet(memo, u8(), fail)); break; // BINGET
      case 0x6a: push(memoGet(memo, u32(), fail)); break; // LONG_BINGET
      case 0x67: push(memoGet(memo, intFromText(line(), fail) as number, fail)); break; // GET
      case 0x30: if (stack.length > 0) stack.pop(); else popMark(); break; // POP
      case 0x31: popMark(); break; // POP_MARK
      case 0x32: push(top()); break; // DUP
      case 0x73: { const v = pop(); const k = pop(); setItems(top(), [k, v]); break; } // SETITEM
      case 0x75: { const items = popMark(); setItems(top(), items); break; } // SETITEMS
      case 0x61: { const v = pop(); append(top(), [v]); break; } // APPEND
      case 0x65: { const items = popMark(); append(top(), items); break; } // APPENDS
      case 0x63: { const module = line(); const name = line(); push(global(module, name)); break; } // GLOBAL
      case 0x93: { // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail('STACK_GLOBAL needs two strings');
        push(global(module as string, name as string));
        break;
      }
      case 0x52: { const args = tupleArgs(pop()); push(call(pop(), args)); break; } // REDUCE
      case 0x81: { const args = tupleArgs(pop()); push(call(pop(), args)); break; } // NEWOBJ
      case 0x92: { pop(); const args = tupleArgs(pop()); push(call(pop(), args)); break; } // NEWOBJ_EX (kwargs dropped)
      case 0x69: { const module = line(); const name = line(); const cls = global(module, name); push(call(cls, popMark())); break; } // INST
      case 0x6f: { const items = popMark(); push(call(items[0], items.slice(1))); break; } // OBJ
      case 0x62: pop(); top(); break; // BUILD: object state (e.g. an OrderedDict's _metadata) is not needed
      case 0x51: push(hooks.persistentLoad(pop())); break; // BINPERSID
      case 0x50: push(hooks.persistentLoad(line())); break; // PERSID
      case 0x82: case 0x83: case 0x84: fail('extension-registry opcodes (EXT1/2/4) are not supported'); break;
      case 0x97: case 0x98: fail('out-of-band buffers are not supported'); break;
      default: fail(`unsupported opcode 0x${op.toString(16).padStart(2, '0')} at byte ${pos - 1}`);
    }
  }
}

function memoGet(memo: Map<number, unknown>, key: number, fail: (p: string) => never): unknown {
  if (!memo.has(key)) fail(`memo key ${key} missing`);
  return memo.get(key);
}

function intFromText(text: string, fail: (p: string) => never): number | bigint {
  if (!/^[-+]?\d+$/.test(text.trim())) fail(`bad integer ${JSON.stringify(text)}`);
  const big = BigInt(text.trim());
  return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
}

/** Little-endian two's complement integer (LONG1/LONG4): a number when safe, else a bigint. */
function longFromBytes(bytes: Uint8Array): number | bigint {
  if (bytes.length === 0) return 0;
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]!);
  if (bytes[bytes.length - 1]! & 0x80) v -= 1n << BigInt(8 * bytes.length);
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

/** Short description of a value for error messages. */
export function describe(v: unknown): string {
  if (v instanceof PyCallable) return v.qualifiedName;
  if (v instanceof PyTuple) return 'a tuple';
  if (v instanceof Map) return 'a dict';
  if (Array.isArray(v)) return 'a list';
  if (v === null) return 'None';
  if (typeof v === 'object') return (v as object).constructor?.name ?? 'an object';
  return typeof v;
}
