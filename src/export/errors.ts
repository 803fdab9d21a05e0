import { WselError } from '../errors.js';

/** A model that cannot be exported as asked (missing classifier, unknown preprocessing, too large a file). */
export class ExportError extends WselError {}

/** How to install the runtime an exported file is checked with (wsel does not install it: it is large). */
export const ONNXRUNTIME_INSTALL = 'npm install onnxruntime-node --onnxruntime-node-install=skip';
