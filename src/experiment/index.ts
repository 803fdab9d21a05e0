// Experiments: grids of `wsel select` + `wsel train` runs declared in JSON, their statistics, and the reports.
export {
  ExperimentError, flagsToArgv, loadConfig, matchRun, partOf, planRuns, plannedSteps, runId, shellQuote, validateConfig,
  type ClaimSpec, type CurveSpec, type DatasetSpec, type ExperimentConfig, type Flags, type FlagValue, type MethodSpec, type PlannedRun, type RunRef,
} from './config.js';
export { changedRuns, collectRecords, quitRunningCommands, runKey, isFinished, runGrid, writeResults, CONFIG_COPY, RESULTS_FILE, WSEL_BIN, type RunGridOptions, type RunGridResult, type RunRecord } from './runner.js';
export { verifyReselections, type ReselectResult } from './reselect.js';
export { buildHeadline, headlineVerdict, CHOICE_RULE, type Headline, type ChoiceResult, type TeacherQualityResult } from './headline.js';
export { analyze, estimateRuntime, ALPHA, RULE, type Analysis, type ClaimResult, type Verdict } from './analyze.js';
export { changedText, renderHtml, renderMarkdown, writeReport, formatDuration } from './report.js';
export { mean, std, welchGreater, studentTUpper, incompleteBeta, logGamma } from './stats.js';
export { rotationDataset, rotationSplit, rotateQuarter } from './rotation.js';
