// The error every selection step throws for a problem with the user's input (shown as one line, exit 1).
import { WselError } from '../errors.js';
export class SelectionError extends WselError {}
