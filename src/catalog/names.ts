/** Pure validation of database, table and attribute names and of primary-key values. */
import { invalid } from '../errors/db-error.js';

const NAME = /^[A-Za-z0-9_][A-Za-z0-9_$-]{0,127}$/;
export const RESERVED_DATABASES = new Set(['system', 'hdb_internal']);
export const CREATED_TIME = '__createdtime__';
export const UPDATED_TIME = '__updatedtime__';
export const TIME_ATTRIBUTES = [CREATED_TIME, UPDATED_TIME] as const;

export function checkDatabaseName(name: unknown, field = 'database'): string {
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw invalid(`'${field}' must be a name of letters, digits, '_', '$' or '-' (1-128 characters)`);
  }
  if (RESERVED_DATABASES.has(name)) throw invalid(`database '${name}' is reserved`);
  return name;
}

export function checkTableName(name: unknown, field = 'table'): string {
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw invalid(`'${field}' must be a name of letters, digits, '_', '$' or '-' (1-128 characters)`);
  }
  return name;
}

export function checkAttributeName(name: unknown, field = 'attribute'): string {
  if (typeof name !== 'string' || name.length === 0 || name.length > 250 || name.includes('/')) {
    throw invalid(`'${field}' must be a non-empty string of at most 250 characters without '/'`);
  }
  if (name === '__proto__') throw invalid(`'${field}' may not be '__proto__'`);
  return name;
}

/** Primary keys are strings or finite numbers (HarperDB's hash values). */
export function isValidPrimaryKey(value: unknown): value is string | number {
  if (typeof value === 'string') return value.length > 0 && value.length <= 1000;
  return typeof value === 'number' && Number.isFinite(value);
}
