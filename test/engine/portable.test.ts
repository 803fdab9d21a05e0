// The portable engine (everything src/engine/index.ts reaches) imports nothing Node-only, so it can be
// bundled for a browser: no node: modules, no engine/node/, no file-reading checkpoint code.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers.js';

/** Every module a TypeScript file reaches through relative imports, with the bare specifiers each imports. */
function importGraph(entry: string): Map<string, string[]> {
  const seen = new Map<string, string[]>();
  const stack = [path.resolve(REPO_ROOT, entry)];
  while (stack.length > 0) {
    const file = stack.pop()!;
    if (seen.has(file)) continue;
    const text = readFileSync(file, 'utf8');
    const specifiers = [...text.matchAll(/^(?:import|export)\s[^;]*?from\s+'([^']+)'/gms)].map((m) => m[1]!)
      .concat([...text.matchAll(/import\('([^']+)'\)/g)].map((m) => m[1]!));
    seen.set(file, specifiers);
    for (const s of specifiers) if (s.startsWith('.')) stack.push(path.resolve(path.dirname(file), s.replace(/\.js$/, '.ts')));
  }
  return seen;
}

describe('portable engine', () => {
  it('src/engine/index.ts reaches no Node-only module', () => {
    const graph = importGraph('src/engine/index.ts');
    expect(graph.size).toBeGreaterThan(20);
    const offenders: string[] = [];
    for (const [file, specifiers] of graph) {
      const rel = path.relative(REPO_ROOT, file);
      if (rel.startsWith('src/engine/node/') || rel.startsWith('src/checkpoint/')) offenders.push(rel);
      for (const s of specifiers) if (s.startsWith('node:') || !s.startsWith('.')) offenders.push(`${rel} imports ${s}`);
    }
    expect(offenders).toEqual([]);
  });
});
