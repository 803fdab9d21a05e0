// Module: a tree of named parameters and submodules, in registration order, named like PyTorch's
// state_dict (own parameters first, then children: `blocks.0.attn.qkv.weight`).

import { allocF32 } from './shared.js';
import { parameter, shapeStr, Tensor } from './tensor.js';

export interface LoadResult {
  missing: string[];
  unexpected: string[];
}

/** A state dict value: a tensor, or raw float data with its shape (shapes are checked when present). */
export type StateValue = Tensor | Float32Array | { shape: readonly number[]; data: Float32Array | ArrayLike<number> };

export abstract class Module {
  training = true;
  private readonly _params: [string, Tensor][] = [];
  private readonly _children: [string, Module][] = [];

  /** Register a parameter (becomes a trainable, never-released leaf). */
  protected param(name: string, shape: readonly number[], data?: Float32Array): Tensor {
    const t = parameter(data ?? allocF32(shape.reduce((a, b) => a * b, 1)), shape, name);
    this._params.push([name, t]);
    return t;
  }

  /** Register a submodule. */
  protected child<M extends Module>(name: string, m: M): M {
    this._children.push([name, m]);
    return m;
  }

  *namedModules(prefix = ''): Generator<[string, Module]> {
    yield [prefix, this];
    for (const [n, m] of this._children) yield* m.namedModules(prefix ? `${prefix}.${n}` : n);
  }

  namedParameters(prefix = ''): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [n, t] of this._params) out.push([prefix ? `${prefix}.${n}` : n, t]);
    for (const [n, m] of this._children) for (const p of m.namedParameters(prefix ? `${prefix}.${n}` : n)) out.push(p);
    return out;
  }

  parameters(): Tensor[] {
    return this.namedParameters().map(([, t]) => t);
  }

  numParameters(): number {
    return this.parameters().reduce((s, t) => s + t.size, 0);
  }

  /** Parameters by name. */
  stateDict(): Map<string, Tensor> {
    return new Map(this.namedParameters());
  }

  train(mode = true): this {
    for (const [, m] of this.namedModules()) m.training = mode;
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** Clear (zero) every parameter gradient. */
  zeroGrad(): void {
    for (const p of this.parameters()) p.grad?.fill(0);
  }

  /**
   * Copy values into the parameters by name. Shapes must match (element counts when the value has no
   * shape). With strict (default) any missing or unexpected name throws; otherwise they are reported.
   */
  loadStateDict(state: ReadonlyMap<string, StateValue> | Readonly<Record<string, StateValue>>, opts: { strict?: boolean } = {}): LoadResult {
    const strict = opts.strict ?? true;
    const entries = state instanceof Map ? new Map(state) : new Map(Object.entries(state));
    const own = this.namedParameters();
    const missing: string[] = [];
    for (const [name, p] of own) {
      const v = entries.get(name);
      if (v === undefined) { missing.push(name); continue; }
      const data: ArrayLike<number> = v instanceof Tensor ? v.data : v instanceof Float32Array ? v : v.data;
      const shape: readonly number[] | null = v instanceof Tensor ? v.shape : v instanceof Float32Array ? null : v.shape;
      if (shape !== null && (shape.length !== p.shape.length || shape.some((d, i) => d !== p.shape[i]))) {
        throw new Error(`loadStateDict: ${name} has shape ${shapeStr(shape)}, the model expects ${shapeStr(p.shape)}`);
      }
      if (data.length !== p.size) throw new Error(`loadStateDict: ${name} has ${data.length} values, the model expects ${p.size}`);
      p.data.set(data as ArrayLike<number>);
    }
    const names = new Set(own.map(([n]) => n));
    const unexpected = [...entries.keys()].filter((k) => !names.has(k));
    if (strict && (missing.length > 0 || unexpected.length > 0)) {
      throw new Error(`loadStateDict: missing [${missing.join(', ')}], unexpected [${unexpected.join(', ')}]`);
    }
    return { missing, unexpected };
  }
}

/** Children named 0, 1, 2... */
export class ModuleList<M extends Module = Module> extends Module {
  readonly items: M[] = [];

  constructor(items: readonly M[] = []) {
    super();
    for (const m of items) this.push(m);
  }

  push(m: M): void {
    this.child(String(this.items.length), m);
    this.items.push(m);
  }

  get length(): number {
    return this.items.length;
  }

  at(i: number): M {
    return this.items[i]!;
  }

  [Symbol.iterator](): Iterator<M> {
    return this.items[Symbol.iterator]();
  }
}
