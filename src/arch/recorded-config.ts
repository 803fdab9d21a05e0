// Configs that wsel records in the checkpoints it writes (selection output: `wsel.student_config`; trained
// models: `wsel.config`). Shapes show most of a config, not all of it (a ViT's head count), so readers combine
// what shapes show with what was recorded.
import type { Family } from './types.js';

/** Config fields that tensor shapes cannot reveal. */
const UNSEEN_BY_SHAPES = ['num_heads'];

/** The model config wsel recorded in a checkpoint's metadata, if any. */
export function recordedConfig(metadata: Readonly<Record<string, string>>): Record<string, unknown> | null {
  const text = metadata['wsel.student_config'] ?? metadata['wsel.config'];
  if (!text) return null;
  try {
    const value = JSON.parse(text) as unknown;
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? value as Record<string, unknown> : null;
  } catch {
    return null;
  }
}

/** The config read off the shapes, with the fields shapes cannot show taken from the recorded config. */
export function inferWithRecord(
  family: Family<any>, shapes: ReadonlyMap<string, readonly number[]>, metadata: Readonly<Record<string, string>>,
): Record<string, unknown> {
  const inferred = family.inferConfig(shapes) as Record<string, unknown>;
  const recorded = recordedConfig(metadata);
  if (!recorded) return inferred;
  const unseen = Object.fromEntries(UNSEEN_BY_SHAPES.filter((k) => k in inferred && k in recorded).map((k) => [k, recorded[k]]));
  return family.studentConfig(inferred, unseen) as Record<string, unknown>;
}
