// Selection recipes: the element, layer and head rules `wsel select` uses where the user gives none.
// `reference` is the paper's rule (bit-exact with its reference code); `best` (the default) is, per family, the
// recipe the project's evidence chose: experiments/recipes.json, chosen on validation accuracy and confirmed on
// the test split (experiments/RESULTS.md). A family without evidence uses the reference.
import { isHfFamilyName } from '../arch/family-names.js';
import type { ElementRule } from './index-rules.js';
import type { LayerRuleName } from './layers.js';
import type { HeadMode } from './plan.js';

export type RecipeName = 'best' | 'reference';
export const RECIPE_NAMES: readonly RecipeName[] = ['best', 'reference'];

export interface Recipe {
  elements: ElementRule;
  layers: LayerRuleName;
  heads: HeadMode;
}

/** Where the evidence behind `best` is, for help texts and errors. */
export const RECIPE_EVIDENCE = 'experiments/RESULTS.md';

export const REFERENCE_RECIPE: Recipe = { elements: 'uniform', layers: 'first', heads: 'flat' };

/**
 * The recipe the evidence chose, per family (families not listed: the reference). Both won on validation
 * accuracy over MNIST-1k, Fashion-MNIST-1k and MNIST-10k (5 seeds), within noise of their runner-up, which keeps
 * the same element rule with first-N layers: the element rule (and for the ViT whole heads) is what the evidence
 * separates from the paper's rule, the layer rule is not. A recipe's whole heads need the student's heads as wide
 * as the teacher's; where they are not, selection uses flat heads (src/selection/select.ts).
 */
export const BEST_RECIPES: Readonly<Record<string, Omit<Recipe, 'heads'> & { heads?: HeadMode }>> = {
  vit: { elements: 'magnitude', layers: 'uniform', heads: 'whole' },
  // ConvNeXt has no attention heads.
  convnext: { elements: 'magnitude', layers: 'uniform' },
};

export function recipeFor(name: RecipeName, family: string): Recipe {
  const recipe: Recipe = name === 'best' ? { ...REFERENCE_RECIPE, ...BEST_RECIPES[family] } : REFERENCE_RECIPE;
  // Language models keep whole heads and key/value groups whatever the recipe: grouped-query attention and rotary
  // embeddings stay valid only that way.
  return isHfFamilyName(family) ? { ...recipe, heads: 'whole' } : recipe;
}

/** The best recipes as flags, one line per family, for help texts: "vit: --heads whole --elements magnitude ...". */
export function describeBestRecipes(): string[] {
  return Object.entries(BEST_RECIPES)
    .map(([family, r]) => `${family}: ${r.heads ? `--heads ${r.heads} ` : ''}--elements ${r.elements} --layers ${r.layers}`);
}
