/**
 * The only place that knows the error body: HarperDB's {"error": "..."} (plus any extra
 * fields the error carries, e.g. the 403 lists). 5xx messages are generic; the cause is logged.
 */
import { toDbError } from '../errors/db-error.js';
import type { Logger } from '../log/logger.js';

export interface ErrorResponse {
  status: number;
  body: string;
}

export function errorResponse(err: unknown, logger?: Logger, context?: Record<string, unknown>): ErrorResponse {
  const e = toDbError(err);
  if (e.status >= 500) logger?.error({ err: e.cause ?? e, code: e.code, ...context }, 'request failed');
  return { status: e.status, body: JSON.stringify({ error: e.message, ...(e.body ?? {}) }) };
}
