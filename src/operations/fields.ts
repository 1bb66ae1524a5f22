/** Pure readers of HarperDB request fields, with 3.x and 4.x names and 400s on bad input. */
import { invalid } from '../errors/db-error.js';
import type { PrimaryKey } from '../changelog/entry.js';
import type { Body } from './context.js';

/** `database` or its 3.x name `schema`; a missing database means `data`. */
export function databaseOf(body: Body): string {
  const v = body.database ?? body.schema;
  if (v === undefined || v === null || v === '') return 'data';
  if (typeof v !== 'string') throw invalid(`'database' must be a string`);
  return v;
}

export function requireString(body: Body, field: string, ...aliases: string[]): string {
  // the field itself first, without building a list (this runs on every point read)
  const v = body[field];
  if (typeof v === 'string' && v !== '') return v;
  if (v !== undefined && v !== null) throw invalid(`'${field}' must be a non-empty string`);
  for (const f of aliases) {
    const a = body[f];
    if (a === undefined || a === null) continue;
    if (typeof a !== 'string' || a === '') throw invalid(`'${f}' must be a non-empty string`);
    return a;
  }
  throw invalid(`'${field}' is required`);
}

export function optionalString(body: Body, field: string): string | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw invalid(`'${field}' must be a string`);
  return v;
}

export function optionalInt(body: Body, field: string, min = 0): number | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min) throw invalid(`'${field}' must be a whole number of at least ${min}`);
  return n;
}

/** Primary keys from `ids` (4.x) or `hash_values` (3.x). */
export function keysOf(body: Body): PrimaryKey[] {
  const v = body.ids ?? body.hash_values;
  if (!Array.isArray(v)) throw invalid(`'ids' (or 'hash_values') must be an array`);
  for (const k of v) if (typeof k !== 'string' && typeof k !== 'number') throw invalid(`'ids' may only hold strings and numbers`);
  return v as PrimaryKey[];
}

/** `get_attributes`: null means every attribute. */
export function attributesOf(body: Body): string[] | null {
  const v = body.get_attributes;
  if (v === undefined || v === null) return null;
  if (!Array.isArray(v) || v.some((a) => typeof a !== 'string')) throw invalid(`'get_attributes' must be an array of attribute names`);
  return v.includes('*') ? null : (v as string[]);
}

export function project(record: Record<string, unknown>, attributes: string[] | null): Record<string, unknown> {
  if (!attributes) return record;
  const out: Record<string, unknown> = {};
  for (const a of attributes) if (a in record) out[a] = record[a];
  return out;
}
