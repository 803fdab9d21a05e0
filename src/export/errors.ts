import { WselError } from '../errors.js';

/** A model that cannot be exported as asked (missing classifier, unknown preprocessing, too large a file). */
export class ExportError extends WselError {}
