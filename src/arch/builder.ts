// A small helper that keeps family declarations short: spaces and tensors are added in model order.
import type { ArchDecl, AxisDecl, Component, SpaceDecl, TensorDecl } from './types.js';

type AxisLike = string | AxisDecl;

export class DeclBuilder {
  private readonly spaces: Record<string, SpaceDecl> = {};
  private readonly tensors: TensorDecl[] = [];
  private readonly stacks: Record<string, number> = {};

  constructor(private readonly family: string, private readonly config: Record<string, unknown>) {}

  space(name: string, size: number, extra: Omit<SpaceDecl, 'size'> = {}): this {
    if (!Number.isInteger(size) || size < 0) throw new Error(`${this.family}: space ${name} has invalid size ${size}`);
    this.spaces[name] = { size, ...extra };
    return this;
  }

  /** A structured space: the row-major product of spaces declared before it (see SpaceDecl.factors). */
  product(name: string, factors: readonly string[], extra: Omit<SpaceDecl, 'size' | 'factors'> = {}): this {
    const size = factors.reduce((n, f) => {
      const space = this.spaces[f];
      if (!space) throw new Error(`${this.family}: product space ${name} names undeclared factor ${f}`);
      return n * space.size;
    }, 1);
    return this.space(name, size, { ...extra, factors: [...factors] });
  }

  stack(prefix: string, depth: number): this {
    this.stacks[prefix] = depth;
    return this;
  }

  tensor(name: string, component: Component, ...axes: AxisLike[]): this {
    this.tensors.push({ name, component, axes: axes.map((a) => (typeof a === 'string' ? { space: a } : a)) });
    return this;
  }

  /** A tensor that only some checkpoints of the family hold (see TensorDecl.optional). */
  optionalTensor(name: string, component: Component, ...axes: AxisLike[]): this {
    this.tensor(name, component, ...axes);
    this.tensors[this.tensors.length - 1] = { ...this.tensors.at(-1)!, optional: true };
    return this;
  }

  /** A Linear layer in PyTorch layout: weight (out, in), bias (out). */
  linear(prefix: string, component: Component, out: AxisLike, inp: AxisLike, bias = true): this {
    this.tensor(`${prefix}.weight`, component, out, inp);
    if (bias) this.tensor(`${prefix}.bias`, component, out);
    return this;
  }

  /** A LayerNorm (weight and bias over one space). */
  norm(prefix: string, space: string, component: Component = 'norm'): this {
    return this.tensor(`${prefix}.weight`, component, space).tensor(`${prefix}.bias`, component, space);
  }

  build(): ArchDecl {
    return { family: this.family, config: this.config, spaces: this.spaces, tensors: this.tensors, stacks: this.stacks };
  }
}
