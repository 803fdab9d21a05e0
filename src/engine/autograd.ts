// Reverse-mode autograd. Ops record a Node on their output when any input requires grad (and grad
// mode is on). backward() orders the graph topologically and runs each node once; every backward
// function *accumulates* into its inputs' grads, so fan-out needs no special handling.

import { pool } from './pool.js';
import { markProfile, profiling, timeBackward } from './profile.js';
import { allocF32 } from './shared.js';
import { Tensor, type Node } from './tensor.js';

let gradEnabled = true;

export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Run fn without recording the graph (inference, evaluation, optimizer updates). */
export function noGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

/** Whether an op over these inputs must record a node. */
export function needsGrad(...inputs: readonly (Tensor | null | undefined)[]): boolean {
  if (!gradEnabled) return false;
  for (const t of inputs) if (t != null && t.requiresGrad) return true;
  return false;
}

/** How many of these inputs will receive a gradient (0 while grad mode is off): for FLOP counting. */
export function gradCount(...inputs: readonly Tensor[]): number {
  if (!gradEnabled) return 0;
  let n = 0;
  for (const t of inputs) if (t.requiresGrad) n++;
  return n;
}

/** Attach a backward function to an op's output if any input requires grad. Returns out. */
export function record(out: Tensor, op: string, inputs: readonly Tensor[], backward: (g: Float32Array) => void): Tensor {
  if (profiling()) markProfile(op);
  if (!needsGrad(...inputs)) return out;
  out.requiresGrad = true;
  const node: Node = { inputs, backward, op };
  out.node = node;
  return out;
}

/**
 * The gradient buffer of t to accumulate into, zero-filled on first use; null when t does not take a
 * gradient. Leaves (parameters, inputs) own persistent buffers reused across steps; intermediates
 * borrow from the pool and give it back as soon as their own backward has run.
 */
export function gradOf(t: Tensor): Float32Array | null {
  if (!t.requiresGrad) return null;
  if (t.grad === null) {
    t.grad = t.isLeaf ? allocF32(t.size) : pool.alloc(t.size, true);
  }
  return t.grad;
}

/**
 * Like gradOf, for hot ops that can write a whole gradient at once: a first-time intermediate
 * gradient comes back unzeroed with fresh = true, and the caller must then overwrite every element
 * (assign, or sgemm with beta = 0) instead of adding. Saves a memset and a read per element.
 */
export function gradTarget(t: Tensor): { buf: Float32Array; fresh: boolean } | null {
  if (!t.requiresGrad) return null;
  if (t.grad !== null) return { buf: t.grad, fresh: false };
  if (t.isLeaf) {
    t.grad = allocF32(t.size);
    return { buf: t.grad, fresh: false };
  }
  t.grad = pool.alloc(t.size);
  return { buf: t.grad, fresh: true };
}

/** Topological order of the graph under root (inputs before outputs), iterative to survive deep graphs. */
function topoOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const visited = new Set<number>();
  const stack: [Tensor, number][] = [[root, 0]];
  visited.add(root.id);
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const [t, i] = top;
    const inputs = t.node?.inputs ?? [];
    if (i < inputs.length) {
      top[1] = i + 1;
      const child = inputs[i]!;
      if (child.requiresGrad && !visited.has(child.id)) {
        visited.add(child.id);
        stack.push([child, 0]);
      }
    } else {
      stack.pop();
      order.push(t);
    }
  }
  return order;
}

/**
 * Backpropagate from root. gradOut defaults to ones (so a scalar loss gets d/d(loss) = 1).
 * Leaf gradients accumulate (zero them between steps); intermediate gradients are freed on the way.
 */
export function backward(root: Tensor, gradOut?: Float32Array): void {
  if (!root.requiresGrad) throw new Error('backward(): tensor does not require grad (no parameter or input reached it)');
  if (gradOut !== undefined && gradOut.length !== root.size) throw new Error('backward(): gradOut has the wrong length');
  const order = topoOrder(root);
  const timed = profiling();
  if (timed) markProfile('autograd');
  const g = gradOf(root)!;
  if (gradOut === undefined) {
    for (let i = 0; i < g.length; i++) g[i] += 1;
  } else {
    for (let i = 0; i < g.length; i++) g[i] += gradOut[i]!;
  }
  for (let i = order.length - 1; i >= 0; i--) {
    const t = order[i]!;
    const node = t.node;
    if (node === null || t.grad === null) continue;
    const grad = t.grad;
    if (timed) timeBackward(node.op, () => node.backward(grad));
    else node.backward(grad);
    // The intermediate's gradient has been pushed to its inputs; hand the buffer back right away.
    pool.release(t.grad);
    t.grad = null;
  }
}
