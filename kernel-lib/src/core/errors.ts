/**
 * Errors with a machine-readable code and the context a user needs to fix the input
 * (file, field, shape, unit). Every stage throws these instead of returning wrong data.
 */
export type PannErrorCode =
  | 'FORMAT' // a file is malformed, truncated or of an unsupported kind
  | 'SHAPE' // array shapes disagree
  | 'VALUE' // a value is out of range, NaN, or in the wrong unit
  | 'OPTION' // an option is missing or invalid
  | 'STATE'; // an operation is not valid now (e.g. a disposed session result)

export class PannError extends Error {
  readonly code: PannErrorCode;
  /** Path of the offending file, when there is one. */
  readonly file?: string;
  /** Name of the offending field or option, when there is one. */
  readonly field?: string;

  constructor(code: PannErrorCode, message: string, context: { file?: string; field?: string } = {}) {
    const where = [context.file && `file ${context.file}`, context.field && `field '${context.field}'`]
      .filter(Boolean)
      .join(', ');
    super(where ? `${message} (${where})` : message);
    this.name = 'PannError';
    this.code = code;
    this.file = context.file;
    this.field = context.field;
  }
}

/** Throws a FORMAT error naming the file. */
export function formatError(file: string | undefined, problem: string): never {
  throw new PannError('FORMAT', problem, { file });
}

/** Throws unless every value is finite; names the field and the first bad index. */
export function assertFinite(data: ArrayLike<number>, field: string): void {
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    // v − v is 0 for finite numbers and NaN for ±Inf/NaN; much faster than Number.isFinite in jest's sandbox.
    if (v - v !== 0) {
      throw new PannError('VALUE', `${field} contains a non-finite value (${data[i]}) at flat index ${i}`, {
        field,
      });
    }
  }
}

/** Throws unless `value` is a finite number > 0; the field name should carry its unit. */
export function assertPositive(value: number, field: string): void {
  if (!(typeof value === 'number' && Number.isFinite(value) && value > 0)) {
    throw new PannError('OPTION', `${field} must be a positive finite number, got ${value}`, { field });
  }
}
