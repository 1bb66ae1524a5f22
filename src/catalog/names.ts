/** Pure validation of database, table and attribute names and of primary-key values (HarperDB's rules). */
import { invalid } from '../errors/db-error.js';

/** HarperDB's name rule: printable ASCII except the backtick and the forward slash, 1-250 characters. */
const NAME = /^[\x20-\x2E\x30-\x5F\x61-\x7E]+$/;
const MAX_NAME = 250;
export const RESERVED_DATABASES = new Set(['system', 'hdb_internal']);
export const CREATED_TIME = '__createdtime__';
export const UPDATED_TIME = '__updatedtime__';
export const TIME_ATTRIBUTES = [CREATED_TIME, UPDATED_TIME] as const;

/** A database or table name as HarperDB accepts it: numbers are coerced to strings. */
function checkName(name: unknown, field: string): string {
  if (typeof name === 'number' && Number.isFinite(name)) name = String(name);
  if (name === undefined || name === null || name === '') throw invalid(`'${field}' is required`);
  if (typeof name !== 'string') throw invalid(`'${field}' must be a string`);
  if (name.length > MAX_NAME) throw invalid(`'${field}' cannot exceed ${MAX_NAME} characters`);
  if (!NAME.test(name)) throw invalid(`'${field}' names cannot include backticks or forward slashes`);
  return name;
}

export function checkDatabaseName(name: unknown, field = 'database'): string {
  const checked = checkName(name, field);
  if (RESERVED_DATABASES.has(checked)) throw invalid(`database '${checked}' is reserved`);
  return checked;
}

export function checkTableName(name: unknown, field = 'table'): string {
  return checkName(name, field);
}

export function checkAttributeName(name: unknown, field = 'attribute'): string {
  if (typeof name !== 'string' || name.length === 0) throw invalid(`'${field}' is required`);
  if (name.length > MAX_NAME) throw invalid(`'${field}' cannot exceed ${MAX_NAME} characters`);
  if (name.includes('/') || name.includes('`')) throw invalid('Attribute names cannot include backticks or forward slashes');
  if (name === '__proto__') throw invalid(`'${field}' may not be '__proto__'`);
  return name;
}

/** Primary keys are strings or finite numbers (HarperDB's hash values). */
export function isValidPrimaryKey(value: unknown): value is string | number {
  if (typeof value === 'string') return value.length > 0 && value.length <= 1000;
  return typeof value === 'number' && Number.isFinite(value);
}
