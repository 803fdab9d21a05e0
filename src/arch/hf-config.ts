// Hugging Face model folders: config.json in, config.json out, and the files that travel with the weights.
// A family reads its typed config from config.json (plus layout facts visible only in tensor names, such as a
// "model." prefix) and says which config.json fields describe the sizes it changes.
import { parseJsonObject, preview } from '../safe-json.js';
import { ConfigError, positiveInt } from './config-util.js';
import type { ArchDecl } from './types.js';

export type HfJson = Record<string, unknown>;

/** A family of Hugging Face models selected from their config.json (Llama-style, GPT-2, BERT). */
export interface HfFamily<C extends object = Record<string, unknown>> {
  readonly name: string;
  readonly description: string;
  /** config.json `model_type` values this family declares. */
  readonly modelTypes: readonly string[];
  /** Student config fields users may give (config.json names). */
  readonly studentFields: readonly string[];
  /** The typed config; `names` (the checkpoint's tensor names) fixes layout facts, null for the default layout. */
  fromHf(json: HfJson, names: ReadonlySet<string> | null): C;
  /** The student's config: overrides (config.json names) over the teacher's, derived fields fixed up. */
  studentConfig(teacher: C, overrides: Record<string, unknown>): C;
  /** config.json fields that change from the teacher's `json` for `student` (derived ones included). */
  toHf(student: C, teacher: C, json: HfJson): HfJson;
  declare(config: C): ArchDecl;
  /** The number of decoder/encoder layers a config declares (what its declaration's size grows with). */
  layerCount(config: C): number;
}

/** Check the text of a config.json (`file` names it in errors). */
export function parseHfConfig(text: string, file: string): HfJson {
  return parseJsonObject(text, (problem) => new ConfigError(`${file}: ${problem}`));
}

/** A positive integer field of config.json, or `fallback` when absent (null counts as absent, as in transformers). */
export function hfInt(json: HfJson, key: string, fallback?: number): number {
  const v = json[key];
  if (v === undefined || v === null) {
    if (fallback === undefined) throw new ConfigError(`config.json has no "${key}"`);
    return fallback;
  }
  return positiveInt(v, key);
}

/**
 * A layer count of config.json, bounded by the checkpoint: every declared layer must have tensors named
 * `<stack>.<i>.`, so a config declaring a billion layers fails at once instead of declaring them. `names` null:
 * no checkpoint to check against.
 */
export function hfLayerCount(json: HfJson, key: string, names: ReadonlySet<string> | null, stack: string): number {
  const n = hfInt(json, key);
  if (names === null) return n;
  const present = new Set<number>();
  const prefix = `${stack}.`;
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const index = name.slice(prefix.length, name.indexOf('.', prefix.length));
    if (/^\d+$/.test(index)) present.add(Number(index));
  }
  const where = `"${stack}.N." tensors`;
  if (n > present.size) {
    throw new ConfigError(`config.json declares ${key} ${n}, but the checkpoint has ${where} for only ${present.size} layer(s)`);
  }
  for (let i = 0; i < n; i++) {
    if (!present.has(i)) throw new ConfigError(`config.json declares ${key} ${n}, but the checkpoint has no ${where} for layer ${i}`);
  }
  return n;
}

export function hfBool(json: HfJson, key: string, fallback: boolean): boolean {
  const v = json[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'boolean') throw new ConfigError(`config.json field "${key}" must be true or false, got ${preview(v)}`);
  return v;
}

/** The name prefix in front of `anchor` (e.g. "model." before "embed_tokens.weight"), among the candidates. */
export function namePrefix(names: ReadonlySet<string> | null, anchor: string, candidates: readonly string[]): string {
  if (names === null) return candidates[0]!;
  const found = candidates.find((p) => names.has(`${p}${anchor}`));
  if (found === undefined) {
    throw new ConfigError(`the checkpoint has no ${candidates.map((p) => `"${p}${anchor}"`).join(' or ')}; is this the right family?`);
  }
  return found;
}

/** Map user overrides through aliases (GPT-2's n_embd is also hidden_size) and reject unknown fields. */
export function normalizeOverrides(
  overrides: Record<string, unknown>, known: readonly string[], aliases: Readonly<Record<string, string>>, family: string,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(overrides)) {
    const name = aliases[key] ?? key;
    if (!known.includes(name)) {
      throw new ConfigError(`unknown ${family} student field "${key}" (known: ${[...known, ...Object.keys(aliases)].join(', ')}); the vocabulary and positions are never changed`);
    }
    if (name in out && out[name] !== value) throw new ConfigError(`"${key}" and its alias give different values`);
    out[name] = value;
  }
  return out;
}

/** The MLP width of a student whose hidden size changed, at the teacher's ratio (unless the user gives it). */
export function scaledWidth(teacherWidth: number, hidden: number, teacherHidden: number): number {
  return Math.max(1, Math.round((teacherWidth * hidden) / teacherHidden));
}

/** `value * num / den` when it is a whole number, else null. */
export function scaled(value: number, num: number, den: number): number | null {
  const v = (value * num) / den;
  return Number.isInteger(v) && v > 0 ? v : null;
}

/** Multi-head attention with head_dim = hidden / heads: a narrower student keeps the teacher's head width. */
export function studentHeads(teacherHidden: number, teacherHeads: number, hidden: number, heads: unknown): number {
  if (heads !== undefined) return positiveInt(heads, 'number of attention heads');
  if (hidden === teacherHidden) return teacherHeads;
  const n = scaled(teacherHeads, hidden, teacherHidden);
  if (n === null) throw new ConfigError(`a hidden size of ${hidden} does not give a whole number of ${teacherHidden / teacherHeads}-wide heads; give the number of attention heads`);
  return n;
}

const TORCH_DTYPES: Readonly<Record<string, string>> = { F32: 'float32', F16: 'float16', BF16: 'bfloat16' };

/**
 * The student's config.json: the teacher's with the family's changed fields, per-layer lists (`layer_types`)
 * following the layer map, and the dtype field when the weights' dtype changed.
 */
export function studentHfJson<C extends object>(
  family: HfFamily<C>, json: HfJson, teacher: C, student: C, layerMap: readonly number[], dtype?: string,
): HfJson {
  const out: HfJson = { ...json, ...family.toHf(student, teacher, json) };
  const types = json.layer_types;
  if (Array.isArray(types) && layerMap.every((i) => i < types.length)) out.layer_types = layerMap.map((i) => types[i]);
  const torchDtype = dtype && TORCH_DTYPES[dtype];
  if (torchDtype) {
    // transformers >= 4.56 writes "dtype"; older versions "torch_dtype". Update whichever the teacher has.
    if ('dtype' in json) out.dtype = torchDtype;
    if ('torch_dtype' in json || !('dtype' in json)) out.torch_dtype = torchDtype;
  }
  return out;
}

/** Files copied from teacher to student as they are: tokenizer, vocabulary, generation and license files. */
const COMPANION = /^(tokenizer[\w.-]*|special_tokens_map\.json|added_tokens\.json|vocab\.(json|txt)|merges\.txt|[\w.-]+\.tiktoken|[\w.-]*spiece\.model|[\w.-]*sentencepiece[\w.-]*\.model|generation_config\.json|chat_template\.(json|jinja)|preprocessor_config\.json|(LICENSE|NOTICE|USE_POLICY)[\w.-]*)$/i;

/** Whether a file of a teacher folder travels to the student (weights, config.json and the model card do not). */
export function isCompanionFile(name: string): boolean {
  return COMPANION.test(name);
}
