// Configs that wsel records in the checkpoints it writes (selection output: `wsel.student_config`; trained
// models: `wsel.config`). Shapes show most of a config, not all of it (a ViT's head count), so readers combine
// what shapes show with what was recorded.
import { parseJson } from '../safe-json.js';
import { ConfigError } from './config-util.js';
import type { Family } from './types.js';

/** Config fields that tensor shapes cannot reveal. */
const UNSEEN_BY_SHAPES = ['num_heads'];

/** The model config wsel recorded in a checkpoint's metadata, if any; `file` names the checkpoint in errors. */
export function recordedConfig(metadata: Readonly<Record<string, string>>, file = 'checkpoint'): Record<string, unknown> | null {
  const key = metadata['wsel.student_config'] !== undefined ? 'wsel.student_config' : 'wsel.config';
  const text = metadata[key];
  if (!text) return null;
  const value = parseJson(text, (problem) => new ConfigError(`${file}: metadata ${key} ${problem}`));
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? value as Record<string, unknown> : null;
}

/** The config read off the shapes, with the fields shapes cannot show taken from the recorded config. */
export function inferWithRecord(
  family: Family<any>, shapes: ReadonlyMap<string, readonly number[]>, metadata: Readonly<Record<string, string>>,
  file?: string,
): Record<string, unknown> {
  const inferred = family.inferConfig(shapes) as Record<string, unknown>;
  const recorded = recordedConfig(metadata, file);
  if (!recorded) return inferred;
  const unseen = Object.fromEntries(UNSEEN_BY_SHAPES.filter((k) => k in inferred && k in recorded).map((k) => [k, recorded[k]]));
  return family.studentConfig(inferred, unseen) as Record<string, unknown>;
}
