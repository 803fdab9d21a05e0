// Student choices by timm model name: the names wsel knows for the teacher's family. A picked name is the
// student config's `name` field, as `wsel select --student NAME` passes it, so the CLI's rules resolve it.
import { TIMM_NAMES } from '../../../src/arch/timm-names.js';

export function studentPresets(architecture: string | null): string[] {
  return Object.entries(TIMM_NAMES).filter(([, entry]) => entry.family === architecture).map(([name]) => name);
}

/** The student's fields: the picked timm name (when one is) with the user's JSON fields over it. */
export function studentFields(modelName: string | undefined, fields: Record<string, unknown>): Record<string, unknown> {
  return modelName ? { name: modelName, ...fields } : fields;
}
