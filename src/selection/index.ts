// Weight selection, portable core: the element and layer rules, the planner that applies them once per
// dimension space of an architecture declaration, and `selectStudent` (a teacher over byte sources in, a student
// through sinks out). Selection by path is the Node edge: ./node/index.js (`wsel/selection`).
export {
  selectStudent, selectionSteps, recordPathFor, ARCH_NAMES, type ArchName, type OutputDType, type SelectionOptions, type SelectResult,
} from './select.js';
export {
  planSelection, mapLayers, omissionReason, DEFAULT_PLAN_OPTIONS, SelectionError,
  type AxisPlan, type HeadMode, type PlanOptions, type SelectionPlan, type SpaceRecord, type SpaceScores, type TensorPlan,
} from './plan.js';
export { ELEMENT_RULES, allIndices, firstIndices, randomIndices, topIndices, uniformIndices, type ElementRule } from './index-rules.js';
export { LAYER_RULES, buildLayerMap, chooseLayers, parseLayerRule, type LayerRule, type LayerRuleName } from './layers.js';
export { spaceScores } from './magnitude.js';
export { torchLinspaceF32 } from './torch-linspace.js';
