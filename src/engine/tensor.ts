// Tensor: a contiguous row-major Float32Array with a shape, plus what reverse-mode autograd needs
// (the node that produced it and a gradient buffer). There are no strided views: ops that need a
// transposed operand pass a flag to the GEMM instead of copying.

import { pool, track, inScope, type Survivor, type Disposable } from './pool.js';
import { allocF32 } from './shared.js';

export type Shape = readonly number[];

/** How a tensor was produced: its inputs and the function that pushes its gradient into theirs. */
export interface Node {
  readonly inputs: readonly Tensor[];
  /** Accumulate d(loss)/d(input) into the inputs' grads given d(loss)/d(output). */
  readonly backward: (gradOut: Float32Array) => void;
  readonly op: string;
}

export function shapeSize(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function sameShape(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function shapeStr(s: Shape): string {
  return `(${s.join(',')})`;
}

let nextId = 1;

export class Tensor implements Survivor {
  readonly id = nextId++;
  readonly shape: Shape;
  readonly size: number;
  private _data: Float32Array;
  /** Gradient (same length as data) once backward reached this tensor. */
  grad: Float32Array | null = null;
  requiresGrad: boolean;
  /** The op that produced this tensor; null for leaves (inputs, parameters). */
  node: Node | null = null;
  /** When this tensor shares its buffer with another (reshape view). */
  readonly base: Tensor | null;
  /** Parameters and kept tensors are never released by a scope. */
  private kept = false;
  private released = false;
  /** Buffer came from the pool (so it goes back there). */
  private readonly pooled: boolean;
  name?: string;

  constructor(data: Float32Array, shape: Shape, opts: { requiresGrad?: boolean; base?: Tensor; pooled?: boolean } = {}) {
    const size = shapeSize(shape);
    if (data.length !== size) throw new Error(`Tensor: data length ${data.length} does not match shape ${shapeStr(shape)}`);
    this._data = data;
    this.shape = Object.freeze([...shape]);
    this.size = size;
    this.requiresGrad = opts.requiresGrad ?? false;
    this.base = opts.base ?? null;
    this.pooled = opts.pooled ?? false;
  }

  get data(): Float32Array {
    if (this.released) throw new Error(`Tensor ${this.id}${this.name ? ` (${this.name})` : ''} used after its scope released it`);
    return this._data;
  }

  get ndim(): number {
    return this.shape.length;
  }

  get isLeaf(): boolean {
    return this.node === null;
  }

  get isReleased(): boolean {
    return this.released;
  }

  /** Value of a one-element tensor. */
  item(): number {
    if (this.size !== 1) throw new Error(`item(): tensor has ${this.size} elements`);
    return this.data[0]!;
  }

  toArray(): number[] {
    return Array.from(this.data);
  }

  /** Exclude from scope release (returns this). */
  keep(): this {
    this.kept = true;
    return this;
  }

  /** Return the buffer to the pool now; later reads throw. */
  dispose(): void {
    if (this.kept || this.released) return;
    this.released = true;
    if (this.pooled && this.base === null) pool.release(this._data);
    if (this.grad !== null && this.node !== null) {
      pool.release(this.grad);
    }
    this.grad = null;
    this.node = null;
    this._data = EMPTY;
  }

  survivors(): Disposable[] {
    const out: Disposable[] = [];
    for (let b = this.base; b !== null; b = b.base) out.push(b);
    return out;
  }

  /** The gradient as a (detached) tensor sharing the buffer. */
  gradTensor(): Tensor | null {
    return this.grad === null ? null : new Tensor(this.grad, this.shape);
  }

  /** A tensor with the same data and no graph history. */
  detach(): Tensor {
    return new Tensor(this._data, this.shape, { base: this });
  }

  toString(): string {
    return `Tensor${shapeStr(this.shape)}${this.requiresGrad ? ' requiresGrad' : ''}`;
  }
}

const EMPTY = new Float32Array(0);

/**
 * A fresh op result. Inside a scope its buffer comes from the pool and is released when the scope ends;
 * outside it is a plain allocation. Contents are arbitrary unless `zero`.
 */
export function empty(shape: Shape, zero = false): Tensor {
  const n = shapeSize(shape);
  if (inScope()) return track(new Tensor(pool.alloc(n, zero), shape, { pooled: true }));
  return new Tensor(allocF32(n), shape);
}

export function zeros(shape: Shape): Tensor {
  return empty(shape, true);
}

export function full(shape: Shape, value: number): Tensor {
  const t = empty(shape);
  t.data.fill(value);
  return t;
}

export function ones(shape: Shape): Tensor {
  return full(shape, 1);
}

/** Wrap existing numbers (copied into a new Float32Array unless already one, which is shared). */
export function tensor(data: Float32Array | ArrayLike<number>, shape?: Shape, opts: { requiresGrad?: boolean } = {}): Tensor {
  const arr = data instanceof Float32Array ? data : Float32Array.from(data as ArrayLike<number>);
  return new Tensor(arr, shape ?? [arr.length], opts);
}

/** A trainable leaf: never pooled, never released by scopes. */
export function parameter(data: Float32Array, shape: Shape, name?: string): Tensor {
  const t = new Tensor(data, shape, { requiresGrad: true }).keep();
  if (name !== undefined) t.name = name;
  return t;
}
