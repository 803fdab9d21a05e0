// An ONNX graph under construction: nodes, initializers and graph inputs/outputs, encoded as a ModelProto with
// ONNX's own schema (the `onnx-proto` package, protobufjs code generated from onnx.proto3). Names are given by
// the caller's scope (a module path such as `blocks.0.attn`), so the graph reads like the model it came from.
import onnxProto from 'onnx-proto';
import { f32BitsToF16Bits } from '../checkpoint/float-bits.js';
import { ExportError } from './errors.js';

const { onnx } = onnxProto;
type INodeProto = onnxProto.onnx.INodeProto;
type ITensorProto = onnxProto.onnx.ITensorProto;
type IAttributeProto = onnxProto.onnx.IAttributeProto;
type IValueInfoProto = onnxProto.onnx.IValueInfoProto;

/** Opset 17 (ONNX 1.12): the level today's runtimes and checkers read; it has LayerNormalization. */
export const OPSET = 17;
/** IR version 8 goes with opset 17. */
export const IR_VERSION = 8;

/** How parameters are stored: float32, or float16 cast back to float32 inside the graph (half the file). */
export type WeightDType = 'f32' | 'f16';

/** A typed attribute value (ONNX distinguishes INT from FLOAT, which a JS number cannot). */
export type Attr =
  | { int: number }
  | { ints: readonly number[] }
  | { float: number }
  | { string: string };

export const int = (v: number): Attr => ({ int: v });
export const ints = (v: readonly number[]): Attr => ({ ints: v });
export const float = (v: number): Attr => ({ float: v });

/** A parameter as the exporter sees it: a shape and float32 values (an engine Tensor fits). */
export interface WeightLike {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** A dimension of a graph input or output: a fixed size or a named dynamic one ('batch'). */
export type Dim = number | string;

function attribute(name: string, a: Attr): IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if ('int' in a) return { name, type: T.INT, i: a.int };
  if ('ints' in a) return { name, type: T.INTS, ints: [...a.ints] };
  if ('float' in a) return { name, type: T.FLOAT, f: a.float };
  return { name, type: T.STRING, s: new TextEncoder().encode(a.string) };
}

function float32Bytes(values: Float32Array): Uint8Array {
  return new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength));
}

function float16Bytes(values: Float32Array): Uint8Array {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const out = new Uint16Array(values.length);
  for (let i = 0; i < out.length; i++) out[i] = f32BitsToF16Bits(bits[i]!);
  return new Uint8Array(out.buffer);
}

function valueInfo(name: string, dims: readonly Dim[]): IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

export class OnnxGraph {
  private readonly nodes: INodeProto[] = [];
  private readonly initializers: ITensorProto[] = [];
  private readonly used = new Set<string>();
  private readonly constants = new Map<string, string>();
  private readonly inputs: IValueInfoProto[] = [];
  private readonly outputs: IValueInfoProto[] = [];

  constructor(readonly weightDType: WeightDType = 'f32') {}

  /** A name not used yet: `base`, else `base_1`, `base_2`, ... */
  private unique(base: string): string {
    let name = base;
    for (let i = 1; this.used.has(name); i++) name = `${base}_${i}`;
    this.used.add(name);
    return name;
  }

  /** Declare a float32 graph input; returns its name. */
  input(name: string, dims: readonly Dim[]): string {
    const unique = this.unique(name);
    this.inputs.push(valueInfo(unique, dims));
    return unique;
  }

  /** Route `value` to a float32 graph output called `name`. */
  output(value: string, name: string, dims: readonly Dim[]): void {
    this.node('Identity', [value], {}, name, name);
    this.outputs.push(valueInfo(name, dims));
  }

  /**
   * A model parameter under its checkpoint name and in its checkpoint layout; returns the float32 value to
   * compute with (in f16 mode, the output of a Cast that runtimes fold away when they load the model).
   */
  weight(name: string, w: WeightLike): string {
    const f16 = this.weightDType === 'f16';
    const stored = this.unique(name);
    this.initializers.push({
      name: stored,
      dims: [...w.shape],
      dataType: f16 ? onnx.TensorProto.DataType.FLOAT16 : onnx.TensorProto.DataType.FLOAT,
      rawData: f16 ? float16Bytes(w.data) : float32Bytes(w.data),
    });
    if (!f16) return stored;
    return this.node('Cast', [stored], { to: int(onnx.TensorProto.DataType.FLOAT) }, `${name}.cast`);
  }

  /** A 1-D int64 constant (shapes, axes, indices), shared between the nodes that use the same values. */
  int64s(values: readonly number[]): string {
    return this.constant('i64', values, () => {
      const bytes = new Uint8Array(new BigInt64Array(values.map((v) => BigInt(v))).buffer);
      return { dims: [values.length], dataType: onnx.TensorProto.DataType.INT64, rawData: bytes };
    });
  }

  /** A 0-D int64 constant (a Gather index that drops the axis). */
  int64Scalar(value: number): string {
    return this.constant('i64s', [value], () => ({
      dims: [], dataType: onnx.TensorProto.DataType.INT64, rawData: new Uint8Array(new BigInt64Array([BigInt(value)]).buffer),
    }));
  }

  /** A 0-D float32 constant (broadcast in elementwise ops). */
  scalar(value: number): string {
    return this.constant('f32', [value], () => ({
      dims: [], dataType: onnx.TensorProto.DataType.FLOAT, rawData: float32Bytes(new Float32Array([value])),
    }));
  }

  private constant(kind: string, values: readonly number[], make: () => ITensorProto): string {
    const key = `${kind}:${values.join(',')}`;
    const known = this.constants.get(key);
    if (known !== undefined) return known;
    const name = this.unique(`const.${kind}.${values.join('_').replace(/-/g, 'm').replace(/\./g, 'p')}`);
    this.initializers.push({ ...make(), name });
    this.constants.set(key, name);
    return name;
  }

  /** Add a node; returns the name of its (single) output. */
  node(op: string, inputs: readonly string[], attrs: Readonly<Record<string, Attr>>, scope: string, outputName?: string): string {
    return this.nodeN(op, inputs, attrs, scope, 1, outputName)[0]!;
  }

  /** Add a node with `count` outputs. */
  nodeN(op: string, inputs: readonly string[], attrs: Readonly<Record<string, Attr>>, scope: string, count: number, outputName?: string): string[] {
    const name = this.unique(`${scope}/${op}`);
    const outputs = Array.from({ length: count }, (_, i) => (outputName !== undefined && count === 1 ? this.unique(outputName) : this.unique(`${name}_output_${i}`)));
    this.nodes.push({
      name, opType: op, input: [...inputs], output: outputs,
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    });
    return outputs;
  }

  /** The serialized ModelProto. */
  encode(opts: { graphName: string; producerVersion: string; docString: string; metadata: Readonly<Record<string, string>> }): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: IR_VERSION,
      opsetImport: [{ domain: '', version: OPSET }],
      producerName: 'wsel',
      producerVersion: opts.producerVersion,
      docString: opts.docString,
      graph: {
        name: opts.graphName,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
      metadataProps: Object.entries(opts.metadata).map(([key, value]) => ({ key, value })),
    });
    const bytes = onnx.ModelProto.encode(model).finish();
    // protobuf messages are limited to 2 GiB; larger models would need ONNX's external-data files.
    if (bytes.length >= 2 ** 31) throw new ExportError(`the model is ${bytes.length} bytes; ONNX files over 2 GiB (external data) are not supported`);
    return bytes;
  }
}
