// Buffer pool and scopes: a training step allocates the same set of buffer sizes every time, so
// intermediates are drawn from free lists keyed by exact length and handed back when the step's scope
// ends. After the first step the heap sees no new Float32Arrays, only reuse.

export interface PoolStats {
  /** Buffers requested. */
  allocs: number;
  /** Requests served from a free list. */
  hits: number;
  /** Buffers returned. */
  releases: number;
  /** Float32 elements currently parked in free lists. */
  freeElements: number;
}

import { allocF32 } from './shared.js';

export class BufferPool {
  private readonly free = new Map<number, Float32Array[]>();
  readonly stats: PoolStats = { allocs: 0, hits: 0, releases: 0, freeElements: 0 };

  /** A buffer of exactly n elements; contents are arbitrary unless `zero`. */
  alloc(n: number, zero = false): Float32Array {
    this.stats.allocs++;
    const list = this.free.get(n);
    const buf = list?.pop();
    if (buf !== undefined) {
      this.stats.hits++;
      this.stats.freeElements -= n;
      if (zero) buf.fill(0);
      return buf;
    }
    return allocF32(n);
  }

  release(buf: Float32Array): void {
    if (buf.length === 0) return;
    this.stats.releases++;
    this.stats.freeElements += buf.length;
    let list = this.free.get(buf.length);
    if (list === undefined) { list = []; this.free.set(buf.length, list); }
    list.push(buf);
  }

  /** Drop every parked buffer (lets the GC reclaim them). */
  clear(): void {
    this.free.clear();
    this.stats.freeElements = 0;
  }

  resetStats(): void {
    this.stats.allocs = 0; this.stats.hits = 0; this.stats.releases = 0;
  }
}

/** The pool every op allocates from. */
export const pool = new BufferPool();

/** Something a scope can free when it ends. */
export interface Disposable {
  dispose(): void;
}

interface Scope {
  items: Disposable[];
  buffers: Float32Array[];
}

const scopes: Scope[] = [];

/** Register a tensor (or anything disposable) with the innermost open scope, if any. */
export function track<T extends Disposable>(item: T): T {
  const s = scopes[scopes.length - 1];
  if (s !== undefined) s.items.push(item);
  return item;
}

/**
 * A scratch buffer that lives until the innermost scope ends (saved statistics for backward, im2col
 * columns...). Outside any scope it is simply garbage-collected.
 */
export function scratch(n: number, zero = false): Float32Array {
  const s = scopes[scopes.length - 1];
  if (s === undefined) return allocF32(n);
  const buf = pool.alloc(n, zero);
  s.buffers.push(buf);
  return buf;
}

/** Whether a scope is open (ops then allocate from the pool). */
export function inScope(): boolean {
  return scopes.length > 0;
}

/**
 * Run fn; every tensor and scratch buffer created inside is released when it returns, except what fn
 * returns (a tensor, or an array/object of tensors, scanned one level deep) and what was `keep()`-ed.
 * Numbers and other plain values pass through untouched — read `item()` inside the scope.
 */
export function tidy<T>(fn: () => T): T {
  const scope: Scope = { items: [], buffers: [] };
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } finally {
    scopes.pop();
  }
  const survivors = new Set<Disposable>();
  collectSurvivors(result, survivors);
  const parent = scopes[scopes.length - 1];
  for (const item of scope.items) {
    if (survivors.has(item)) {
      if (parent !== undefined) parent.items.push(item); // the outer scope owns it now
    } else {
      item.dispose();
    }
  }
  for (const b of scope.buffers) pool.release(b);
  return result;
}

/** Hook for Tensor: what must survive along with a returned value (e.g. the base of a view). */
export interface Survivor extends Disposable {
  survivors?(): Disposable[];
}

function collectSurvivors(value: unknown, out: Set<Disposable>): void {
  const add = (v: unknown): void => {
    if (v !== null && typeof v === 'object' && typeof (v as Disposable).dispose === 'function') {
      const s = v as Survivor;
      out.add(s);
      for (const extra of s.survivors?.() ?? []) out.add(extra);
    }
  };
  add(value);
  if (Array.isArray(value)) value.forEach(add);
  else if (value !== null && typeof value === 'object' && value.constructor === Object) Object.values(value).forEach(add);
}
