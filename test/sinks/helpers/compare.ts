/**
 * Source-versus-target comparison for sink tests: every row of a FerryDB table (through the
 * operations API) and of its PostgreSQL table, in one canonical form, and a checksum of each.
 */
import { createHash } from 'node:crypto';
import type { Op } from '../../helpers/http-client.js';
import type { TestPostgres } from './postgres.js';

export type Row = Record<string, unknown>;

function canonical(rows: Row[], key: string, attrs: string[]): string[] {
  return rows
    .map((r) => JSON.stringify([r[key], ...attrs.map((a) => (r[a] === undefined ? null : r[a]))]))
    .sort();
}

export async function sourceRows(op: Op, database: string, table: string, key = 'id'): Promise<Row[]> {
  const r = await op({ operation: 'search_by_value', database, table, attribute: key, value: '*', get_attributes: ['*'] });
  if (r.status !== 200) throw new Error(`search failed: ${JSON.stringify(r.body)}`);
  return r.body as Row[];
}

export async function targetRows(pgs: TestPostgres, qualified: string): Promise<Row[]> {
  const r = await pgs.query(`SELECT * FROM ${qualified}`);
  return r.rows.map((row) => {
    const out: Row = {};
    for (const [k, v] of Object.entries(row)) out[k] = typeof v === 'string' && /^-?\d+$/.test(v) && (k === '__createdtime__' || k === '__updatedtime__') ? Number(v) : v;
    return out;
  });
}

/** Checksum over key + the given attributes, order-independent. */
export function checksum(rows: Row[], key: string, attrs: string[]): string {
  return createHash('sha256').update(canonical(rows, key, attrs).join('\n')).digest('hex');
}
