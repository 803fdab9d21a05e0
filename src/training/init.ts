// Random initialization schemes for the random-init baselines (`--init random:timm|xavier|kaiming`) and for
// whatever a checkpoint leaves out (the classifier, excluded components). Every scheme walks the parameters in
// state-dict order with one seeded generator, so (model config, scheme, seed) fixes every value.
import { init, Rng, type Module, type Tensor } from '../engine/index.js';

export const INIT_SCHEMES = ['timm', 'xavier', 'kaiming'] as const;
export type InitScheme = (typeof INIT_SCHEMES)[number];

function isNormWeight(name: string, t: Tensor): boolean {
  // In these families every 1-D `.weight` is a LayerNorm scale (`norm1`, `stem.1`, `downsample.0`, `head.norm`).
  return t.ndim === 1 && name.endsWith('.weight');
}

/**
 * Initialize `names` (default: every parameter) of `model`:
 *  - weights of Linear and Conv layers (>= 2-D): timm trunc-normal(std 0.02, cut at 2 std) | xavier-uniform |
 *    kaiming-normal (fan_in, gain sqrt(2), PyTorch's kaiming_normal_ defaults);
 *  - biases zero; LayerNorm scale one and shift zero;
 *  - ViT pos_embed trunc-normal(0.02) and cls/reg tokens normal(1e-6) in every scheme (timm's choice: they have
 *    no fan); layer-scale gammas keep their configured constant.
 */
export function initModel(model: Module, scheme: InitScheme, seed: number, names?: ReadonlySet<string>): void {
  if (!(INIT_SCHEMES as readonly string[]).includes(scheme)) throw new Error(`unknown init scheme "${scheme}" (known: ${INIT_SCHEMES.join(', ')})`);
  const rng = new Rng(seed);
  for (const [name, p] of model.namedParameters()) {
    if (names && !names.has(name)) continue;
    const last = name.slice(name.lastIndexOf('.') + 1);
    if (name === 'pos_embed') init.truncNormal_(p, rng, 0.02);
    else if (name === 'cls_token' || name === 'reg_token') init.normal_(p, rng, 0, 1e-6);
    else if (last === 'gamma') continue;
    else if (isNormWeight(name, p)) init.ones_(p);
    else if (last === 'bias') init.zeros_(p);
    else if (p.ndim >= 2) {
      if (scheme === 'timm') init.truncNormal_(p, rng, 0.02);
      else if (scheme === 'xavier') init.xavierUniform_(p, rng);
      else init.kaimingNormal_(p, rng, { mode: 'fan_in', nonlinearity: 'relu' });
    } else {
      throw new Error(`initModel: no rule for parameter ${name} (${p.shape.join('x')})`);
    }
  }
}
