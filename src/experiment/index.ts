// Experiments: grids of `wsel select` + `wsel train` runs declared in JSON, their statistics, and the reports.
export {
  ExperimentError, type ClaimSpec, type CurveSpec, type DatasetSpec, type ExperimentConfig, type Flags, type FlagValue, type MethodSpec, type RunRef,
} from './config.js';
export { loadConfig, validateConfig } from './schema.js';
export { flagsToArgv, planRuns, plannedSteps, printedCommands, runId, shellQuote, type PlannedRun } from './plan.js';
export { matchRun } from './match.js';
export { partOf } from './parts.js';
export { changedRuns, runKey } from './changes.js';
export { isFinished } from './run-files.js';
export { collectRecords, writeResults, CONFIG_COPY, RESULTS_FILE, type RunRecord } from './results.js';
export { quitRunningCommands, WSEL_BIN } from './commands.js';
export { runGrid, type RunGridOptions, type RunGridResult } from './runner.js';
export { verifyReselections, type ReselectResult } from './reselect.js';
export { buildHeadline, headlineVerdict, CHOICE_RULE, type Headline, type ChoiceResult, type TeacherQualityResult } from './headline.js';
export { analyze, estimateRuntime, ALPHA, RULE, type Analysis, type ClaimResult, type Verdict } from './analyze.js';
export { changedText, renderHtml, renderMarkdown, writeReport, formatDuration } from './report.js';
export { mean, std, welchGreater, studentTUpper, incompleteBeta, logGamma } from './stats.js';
export { rotationDataset, rotationSplit, rotateQuarter } from './rotation.js';
