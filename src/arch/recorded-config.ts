// Configs that wsel records in the checkpoints it writes (selection output: `wsel.student_config`; trained
// models: `wsel.config`). Shapes show most of a config, not all of it (a ViT's head count), so readers combine
// what shapes show with what was recorded.
import { isObject, parseJson } from '../safe-json.js';
import { ConfigError } from './config-util.js';
import type { Family } from './types.js';

/** The model config wsel recorded in a checkpoint's metadata, if any; `file` names the checkpoint in errors. */
export function recordedConfig(metadata: Readonly<Record<string, string>>, file = 'checkpoint'): Record<string, unknown> | null {
  const key = metadata['wsel.student_config'] !== undefined ? 'wsel.student_config' : 'wsel.config';
  const text = metadata[key];
  if (!text) return null;
  const value = parseJson(text, (problem) => new ConfigError(`${file}: metadata ${key} ${problem}`));
  return isObject(value) ? value : null;
}

/** The config read off the shapes, with the fields shapes cannot show taken from the recorded config. */
export function inferWithRecord(
  family: Family<any>, shapes: ReadonlyMap<string, readonly number[]>, metadata: Readonly<Record<string, string>>,
  file?: string,
): Record<string, unknown> {
  return inferConfigFromFile(family, shapes, metadata, file).config;
}

/**
 * The config read off the shapes, with the fields shapes cannot show taken from the recorded config, and the
 * fields that were assumed instead (no record says them). Where shapes show that a field is set (a layer scale
 * exists) and the record disagrees, the shapes win.
 */
export function inferConfigFromFile(
  family: Family<any>, shapes: ReadonlyMap<string, readonly number[]>, metadata: Readonly<Record<string, string>>,
  file?: string,
): { config: Record<string, unknown>; assumed: string[] } {
  const inferred = family.inferConfig(shapes) as Record<string, unknown>;
  const recorded = recordedConfig(metadata, file) ?? {};
  const unseen = (family.unseenByShapes ?? []).filter((k) => k in inferred);
  const agreed = unseen.filter((k) => k in recorded && (recorded[k] === null) === (inferred[k] === null));
  const assumed = unseen.filter((k) => !agreed.includes(k) && inferred[k] !== null);
  if (agreed.length === 0) return { config: inferred, assumed };
  const config = family.studentConfig(inferred, Object.fromEntries(agreed.map((k) => [k, recorded[k]]))) as Record<string, unknown>;
  return { config, assumed };
}
