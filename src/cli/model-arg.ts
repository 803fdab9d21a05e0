// Model configs on the command line: JSON (inline or a .json file) as `parseJsonArg` reads it, or a bare timm
// model name (`convnext_femto`, `vit_small_patch16_224.augreg_in21k`), which stands for {"name": NAME}.
import { existsSync } from 'node:fs';
import { closestTimmNames, looksLikeTimmName, lookupTimmName } from '../arch/timm-names.js';
import { parseJsonArg, UsageError } from './common.js';

export function parseModelConfigArg(flag: string, text: string): Record<string, unknown> {
  if (!looksLikeTimmName(text) || existsSync(text)) return parseJsonArg(flag, text);
  if (!lookupTimmName(text)) {
    throw new UsageError(`${flag}: "${text}" is not a timm model name wsel knows (closest: ${closestTimmNames(text).join(', ')}); give a name, JSON like '{"embed_dim":192}', or a .json file`);
  }
  return { name: text };
}
