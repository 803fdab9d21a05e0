// Architectures as declarations: which tensors a model has, and which named dimension space each axis lives in.
// Selection chooses indices once per space and applies them to every axis in it, so consistency across
// layers follows from the declaration instead of per-model code.

/** A named dimension space (the residual stream, one block's MLP hidden units, one block's attention, ...). */
export interface SpaceDecl {
  readonly size: number;
  /** Attention spaces: size = heads x headDim, each head's dimensions contiguous (enables whole-head selection). */
  readonly heads?: number;
  /** Never subsampled (token grid, label set, input channels): teacher and student sizes must be equal. */
  readonly fixed?: string;
  /**
   * A structured space: the row-major product of these spaces, e.g. [kv_groups, q_per_group, head_dim] for the
   * query projection under grouped-query attention. With whole-head selection each factor's indices are chosen
   * once and shared by every product containing it, so q, k, v and o keep the same groups and head dimensions.
   */
  readonly factors?: readonly string[];
  /**
   * Index j and j + size/2 are kept together (and stay in the two halves): Hugging Face rotary embeddings rotate
   * dimension j with j + head_dim/2 (rotate_half), so a head dimension is selected pair by pair.
   */
  readonly paired?: boolean;
}

/** One axis of a tensor: `repeat` stacked copies of a space (a fused qkv axis is 3 x the attention space). */
export interface AxisDecl {
  readonly space: string;
  readonly repeat?: number;
}

/** What part of the network a tensor belongs to; `--exclude` and the head rule work on these. */
export type Component =
  | 'embed' | 'attn' | 'mlp' | 'norm' | 'layer_scale' | 'conv' | 'downsample' | 'head' | 'lm_head';
/** `head` is a classifier re-initialized for the new task (left out by default); `lm_head` is a language model's
 *  output layer, pooler or pretraining head (same vocabulary and labels), which is kept. */
export const COMPONENTS: readonly Component[] = ['embed', 'attn', 'mlp', 'norm', 'layer_scale', 'conv', 'downsample', 'head', 'lm_head'];

export interface TensorDecl {
  readonly name: string;
  readonly axes: readonly AxisDecl[];
  readonly component: Component;
  /** Present in some checkpoints of the family only (buffers, pretraining heads): selected when the teacher has it. */
  readonly optional?: boolean;
}

/** A model's full declaration for one configuration. */
export interface ArchDecl {
  readonly family: string;
  readonly config: Readonly<Record<string, unknown>>;
  readonly spaces: Readonly<Record<string, SpaceDecl>>;
  readonly tensors: readonly TensorDecl[];
  /** Layer stacks and their depths, e.g. {"blocks": 12} or {"stages.2.blocks": 9}. Names inside a stack start
   *  with `<stack>.<index>.`; per-layer spaces are named the same way so they follow layer selection. */
  readonly stacks: Readonly<Record<string, number>>;
}

/** A model family: how to read a config off a checkpoint's tensor shapes, and how to declare a config. */
export interface Family<C extends object = Record<string, unknown>> {
  readonly name: string;
  readonly description: string;
  /** Infer the configuration from tensor names and shapes (throws when the tensors are not this family). */
  inferConfig(shapes: ReadonlyMap<string, readonly number[]>): C;
  /** Config fields whose values tensor shapes do not show (a ViT's head count, a layer scale's initial value):
   *  inferConfig assumes them; a config wsel recorded in the file says them. */
  readonly unseenByShapes?: readonly string[];
  /**
   * A configuration: the user's overrides on top of a base (the teacher's, or defaults for a model trained from
   * scratch), with derived fields fixed up; a `name` field brings in a timm model's architecture first.
   */
  studentConfig(teacher: C, overrides: Record<string, unknown>): C;
  /** What selection needs beyond a valid config: a student the teacher's tensors can map onto (throws when not). */
  checkStudent?(teacher: C, student: C): void;
  declare(config: C): ArchDecl;
}

export function axisSize(decl: ArchDecl, axis: AxisDecl): number {
  const space = decl.spaces[axis.space];
  if (!space) throw new Error(`${decl.family}: undeclared space "${axis.space}"`);
  return space.size * (axis.repeat ?? 1);
}

export function tensorShape(decl: ArchDecl, tensor: TensorDecl): number[] {
  return tensor.axes.map((axis) => axisSize(decl, axis));
}
