// Student choices by timm model name: the registered presets of the teacher's family.
import { MODEL_PRESETS } from '../../../src/models/index.js';

export function studentPresets(architecture: string | null): string[] {
  return Object.entries(MODEL_PRESETS).filter(([, p]) => p.family === architecture).map(([name]) => name);
}

/** The student's fields: the named model's config (when one is picked) under the user's JSON fields. */
export function studentFields(modelName: string | undefined, fields: Record<string, unknown>): Record<string, unknown> {
  if (!modelName) return fields;
  const preset = MODEL_PRESETS[modelName];
  if (!preset) throw new Error(`unknown model name ${modelName}`);
  return { ...preset.config, ...fields };
}
