// Weight selection for Node (`wsel/selection`): the portable core plus `select`, teacher file in, student file
// (or model folder) out.
export * from '../index.js';
export { select, selectUntilSignal, type SelectRequest } from './select.js';
export { isHfFolder, openHfTeacher } from './hf-files.js';
export { inspectCheckpoint } from './inspect.js';
