/**
 * The one error type of FerryDB: a string code, a client-safe message and the HTTP status table.
 * Constructors do no I/O and no logging; the HTTP layer serialises errors in one place.
 */

export const ERROR_STATUS = {
  VALIDATION_FAILED: 400,
  UNKNOWN_OPERATION: 400,
  INVALID_JSON: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  ALREADY_EXISTS: 400,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  INTERNAL: 500,
  NOT_IMPLEMENTED: 501,
  UNAVAILABLE: 503,
  STORAGE_FULL: 507,
} as const satisfies Record<string, number>;

export type ErrorCode = keyof typeof ERROR_STATUS;

export interface DbErrorOptions extends ErrorOptions {
  /** Extra machine-readable fields merged into the response body (e.g. HarperDB's 403 lists). */
  body?: Record<string, unknown>;
}

export class DbError extends Error {
  readonly code: ErrorCode;
  readonly body: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: DbErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DbError';
    this.code = code;
    this.body = options.body;
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }
}

/** Shorthand for the commonest error: a 400 validation failure. */
export function invalid(message: string): DbError {
  return new DbError('VALIDATION_FAILED', message);
}

/** Wraps anything thrown into a DbError, keeping the cause; unknown errors become INTERNAL. */
export function toDbError(err: unknown): DbError {
  if (err instanceof DbError) return err;
  return new DbError('INTERNAL', 'internal error', { cause: err });
}
