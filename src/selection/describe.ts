// What `wsel inspect` reports about an opened checkpoint: its tensors, sizes, dtypes, metadata, and the family and
// config it is recognised as (for a Hugging Face folder, what its config.json says and how the weights fit the
// family). Portable: the CLI and the browser page both describe a reader with it.
import { detectFamily, hfFamilyFor } from '../arch/index.js';
import type { HfJson } from '../arch/hf-config.js';
import { inferConfigFromFile, recordedConfig } from '../arch/recorded-config.js';
import { matchTimmNames } from '../arch/timm-names.js';
import { dtypeSize, numel } from '../checkpoint/dtype.js';
import type { CheckpointReader } from '../checkpoint/types.js';

export interface InspectReport {
  path: string;
  format: string;
  files: string[];
  metadata: Record<string, string>;
  tensors: { name: string; dtype: string; shape: readonly number[] }[];
  parameters: number;
  bytes: number;
  dtypes: Record<string, number>;
  architecture: string | null;
  config: Record<string, unknown> | null;
  /** Config fields the tensor shapes do not show and the file does not record: their values are assumptions. */
  assumed: string[];
  /** timm model names with exactly this checkpoint's tensor names and shapes (any classifier size). */
  timm_names: string[];
  /** For a Hugging Face model folder: what its config.json says, and how the weights match the family. */
  hf: HfReport | null;
}

export interface HfReport {
  model_type: string | null;
  /** The config.json fields selection reads and changes. */
  config: Record<string, unknown>;
  /** Tokenizer, generation and license files a student folder gets a copy of. */
  companion_files: string[];
  /** Tensors the family declares that the checkpoint lacks, and tensors it has that selection ignores. */
  missing: string[];
  ignored: string[];
  /** Why the folder cannot be selected from, when it cannot. */
  problem: string | null;
}

/** A model folder's config.json and the names of its companion files. */
export interface HfFolderFacts {
  json: HfJson;
  companions: string[];
}

export function describeCheckpoint(reader: CheckpointReader, path: string, hfFolder: HfFolderFacts | null = null): InspectReport {
  const tensors = [...reader.tensors.values()];
  const shapes = new Map(tensors.map((t) => [t.name, t.shape]));
  const hf = hfFolder ? describeHf(hfFolder, shapes) : null;
  const family = hf ? null : detectFamily(shapes);
  const inferred = family ? inferConfigFromFile(family, shapes, reader.metadata, path) : null;
  // A name must also agree with what the file records beyond shapes (a head count).
  const recorded = recordedConfig(reader.metadata, path) ?? {};
  // (Layer-scale initial values are not matched: training moves the scales away from them.)
  const known = Object.fromEntries((family?.unseenByShapes ?? [])
    .filter((k) => k in recorded && !inferred!.assumed.includes(k) && !/init_value/.test(k))
    .map((k) => [k, inferred!.config[k]]));
  const dtypes: Record<string, number> = {};
  let parameters = 0;
  let bytes = 0;
  for (const t of tensors) {
    const n = numel(t.shape);
    parameters += n;
    bytes += n * dtypeSize(t.dtype);
    dtypes[t.dtype] = (dtypes[t.dtype] ?? 0) + n;
  }
  return {
    path,
    format: reader.format,
    files: [...new Set(tensors.map((t) => t.file))],
    metadata: { ...reader.metadata },
    tensors: tensors.map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape })),
    parameters,
    bytes,
    dtypes,
    architecture: hf ? hf.architecture : family?.name ?? null,
    config: hf ? hf.config : inferred?.config ?? null,
    assumed: inferred?.assumed ?? [],
    timm_names: family && inferred ? matchTimmNames(family, inferred.config, shapes, known) : [],
    hf: hf?.report ?? null,
  };
}

function describeHf({ json, companions }: HfFolderFacts, shapes: ReadonlyMap<string, readonly number[]>) {
  const report: HfReport = {
    model_type: typeof json.model_type === 'string' ? json.model_type : null,
    config: {}, companion_files: companions, missing: [], ignored: [], problem: null,
  };
  try {
    const family = hfFamilyFor(json);
    const config = family.fromHf(json, new Set(shapes.keys()));
    const decl = family.declare(config);
    const declared = new Set(decl.tensors.map((t) => t.name));
    report.missing = decl.tensors.filter((t) => !t.optional && !shapes.has(t.name)).map((t) => t.name);
    report.ignored = [...shapes.keys()].filter((name) => !declared.has(name));
    const fields = ['model_type', 'vocab_size', 'tie_word_embeddings', 'head_dim', ...family.studentFields];
    report.config = Object.fromEntries(fields.filter((f) => f in json).map((f) => [f, json[f]]));
    return { architecture: family.name, config: config as Record<string, unknown>, report };
  } catch (e) {
    report.problem = (e as Error).message;
    return { architecture: null, config: null, report };
  }
}
