// Imports go one way: the command line over training, experiments and export, over models and selection, over
// the engine and the architecture declarations, over checkpoints, data and run folders, over the shared base
// (src/*.ts: errors, JSON, version). A module may import its own folder and any lower layer, never a higher one;
// src/index.ts, the package entry, gathers everything. The README's Layout section describes the same table.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './helpers.js';

const LAYERS: readonly (readonly string[])[] = [
  ['(base)'],
  ['checkpoint', 'data', 'run-folder'],
  ['engine', 'arch'],
  ['models', 'selection'],
  ['training', 'experiment', 'export', 'bench'],
  ['cli'],
  ['(entry)'],
];

const SRC = path.join(REPO_ROOT, 'src');

/** The part a source file belongs to: its top folder under src/, or (base) / (entry) for the files at the top. */
function partOf(file: string): string {
  const rel = path.relative(SRC, file).split(path.sep);
  if (rel.length > 1) return rel[0]!;
  return rel[0] === 'index.ts' ? '(entry)' : '(base)';
}

const layerOf = (part: string): number => LAYERS.findIndex((l) => l.includes(part));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) return sourceFiles(p);
    return name.endsWith('.ts') ? [p] : [];
  });
}

/** Relative imports of a file (static, re-exports and dynamic import()), as source paths. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|^import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm)].map((m) => m[1]!);
  return specs.map((s) => path.resolve(path.dirname(file), s.replace(/\.js$/, '.ts')));
}

describe('the import direction', () => {
  const files = sourceFiles(SRC);

  it('every folder under src/ has a layer', () => {
    const parts = [...new Set(files.map(partOf))];
    expect(parts.filter((p) => layerOf(p) < 0)).toEqual([]);
  });

  it('no module imports a higher layer', () => {
    const upward = files.flatMap((file) => importsOf(file)
      .filter((target) => target.startsWith(SRC) && layerOf(partOf(target)) > layerOf(partOf(file)))
      .map((target) => `${path.relative(SRC, file)} -> ${path.relative(SRC, target)}`));
    expect(upward).toEqual([]);
  });

  it('sees the imports it checks (the walk is not empty)', () => {
    const edges = files.flatMap((f) => importsOf(f).map((t) => [partOf(f), partOf(t)]));
    expect(edges.some(([a, b]) => a === 'training' && b === 'engine')).toBe(true);
    expect(edges.some(([a, b]) => a === 'cli' && b === 'selection')).toBe(true);
  });
});
