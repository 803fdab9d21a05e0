// Small checks shared by the family declarations: configs come from users (JSON) and from tensor shapes.
import { WselError } from '../errors.js';

/**
 * Hidden width of an MLP: int(dim * ratio), as timm computes it. The small epsilon keeps a ratio inferred from
 * shapes (1024 / 384 = 2.666...) from flooring to one less than the width it came from.
 */
export function hiddenWidth(dim: number, ratio: number): number {
  return Math.floor(dim * ratio + 1e-6);
}

export class ConfigError extends WselError {}

export function requireShape(
  shapes: ReadonlyMap<string, readonly number[]>, name: string, rank: number, family: string,
): readonly number[] {
  const shape = shapes.get(name);
  if (!shape) throw new ConfigError(`not a ${family} checkpoint: tensor "${name}" is missing`);
  if (shape.length !== rank) {
    throw new ConfigError(`not a ${family} checkpoint: "${name}" has shape [${shape.join(', ')}], expected rank ${rank}`);
  }
  return shape;
}

/** Number of layers of a stack: 1 + the largest index seen in names `<prefix>.<i>.`. */
export function countLayers(shapes: ReadonlyMap<string, readonly number[]>, prefix: string): number {
  const pattern = new RegExp(`^${prefix.replace(/\./g, '\\.')}\\.(\\d+)\\.`);
  let depth = 0;
  for (const name of shapes.keys()) {
    const m = pattern.exec(name);
    if (m) depth = Math.max(depth, Number(m[1]) + 1);
  }
  return depth;
}

export function positiveInt(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new ConfigError(`config field "${field}" must be a positive integer, got ${JSON.stringify(value)}`);
  }
  return value;
}

export function nonNegativeInt(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new ConfigError(`config field "${field}" must be a non-negative integer, got ${JSON.stringify(value)}`);
  }
  return value;
}

export function positiveIntList(value: unknown, field: string, length?: number): number[] {
  if (!Array.isArray(value) || (length !== undefined && value.length !== length)) {
    const want = length === undefined ? 'a list' : `a list of ${length}`;
    throw new ConfigError(`config field "${field}" must be ${want} positive integers, got ${JSON.stringify(value)}`);
  }
  return value.map((v, i) => positiveInt(v, `${field}[${i}]`));
}

/** Reject fields a family does not know, so a typo does not silently fall back to the teacher's value. */
export function checkKnownFields(overrides: Record<string, unknown>, known: readonly string[], family: string): void {
  for (const key of Object.keys(overrides)) {
    if (!known.includes(key)) {
      throw new ConfigError(`unknown ${family} config field "${key}" (known: ${known.join(', ')})`);
    }
  }
}
