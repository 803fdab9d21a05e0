// The portable core (checkpoint formats over byte sources, selection over sources and sinks, the engine with its
// WebAssembly backend) must run in a browser: nothing it imports, however indirectly, may be Node-only.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { VERSION } from '../src/version.js';
import { REPO_ROOT } from './helpers.js';

const PORTABLE_ENTRIES = [
  'src/checkpoint/index.ts', 'src/selection/select.ts', 'src/selection/hf-folder.ts', 'src/engine/index.ts',
];

/** Every module reachable from `entry` by relative imports, and every non-relative import found on the way. */
function importGraph(entry: string): { modules: string[]; external: string[] } {
  const modules = new Set<string>();
  const external: string[] = [];
  const visit = (file: string): void => {
    if (modules.has(file)) return;
    modules.add(file);
    const text = fs.readFileSync(file, 'utf8');
    for (const m of text.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+'([^']+)'|\bimport\('([^']+)'\)/gm)) {
      const spec = (m[1] ?? m[2])!;
      if (spec.startsWith('.')) visit(path.resolve(path.dirname(file), spec.replace(/\.js$/, '.ts')));
      else external.push(`${path.relative(REPO_ROOT, file)} imports ${spec}`);
    }
  };
  visit(path.join(REPO_ROOT, entry));
  return { modules: [...modules].map((f) => path.relative(REPO_ROOT, f)), external };
}

describe('portable core', () => {
  for (const entry of PORTABLE_ENTRIES) {
    it(`${entry} reaches no Node-only module`, () => {
      const { modules, external } = importGraph(entry);
      expect(modules.length).toBeGreaterThan(1);
      expect(external).toEqual([]);
      expect(modules.filter((m) => m.split(path.sep).includes('node'))).toEqual([]);
      const nodeGlobals = modules.filter((m) => {
        const code = fs.readFileSync(path.join(REPO_ROOT, m), 'utf8').replace(/\/\/.*$|\/\*[\s\S]*?\*\//gm, '');
        return /\bBuffer\b|\bprocess\.|\bNodeJS\./.test(code);
      });
      expect(nodeGlobals).toEqual([]);
    });
  }

  it('records the version package.json declares', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(VERSION).toBe(pkg.version);
  });
});
