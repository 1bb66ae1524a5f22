/**
 * Pure SQL for the PostgreSQL target: identifier quoting, column types inferred from FerryDB
 * values, value encoding (COPY text format and query parameters) and the statements the target
 * runs. No I/O. Every identifier is quoted, so any attribute name is a valid column.
 */
import type { PrimaryKey } from '../../changelog/entry.js';

export const PROGRESS_TABLE = 'ferrydb_sink_progress';
export const TOMBSTONE_TABLE = 'ferrydb_sink_tombstones';
/** Columns every delivered table has besides its attributes: the FerryDB version of the row. */
export const VERSION_COLUMN = '__version__';
export const ORIGIN_COLUMN = '__origin__';

export const SETUP_SQL = [
  `CREATE TABLE IF NOT EXISTS ${PROGRESS_TABLE} (sink text NOT NULL, source_node text NOT NULL, db text NOT NULL, "table" text NOT NULL, position bigint NOT NULL DEFAULT 0, copy_state text, target_table text, updated_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (sink, source_node, db, "table"))`,
  `CREATE TABLE IF NOT EXISTS ${TOMBSTONE_TABLE} (target_table text NOT NULL, key text NOT NULL, version bigint NOT NULL, origin text NOT NULL, PRIMARY KEY (target_table, key))`,
];

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export function qualified(schema: string, table: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(table)}`;
}

/** The column type a new column gets from the first non-null value seen. */
export function inferType(attribute: string, value: unknown): string {
  if (attribute === '__createdtime__' || attribute === '__updatedtime__') return 'bigint';
  switch (typeof value) {
    case 'number': return 'double precision';
    case 'bigint': return 'numeric';
    case 'boolean': return 'boolean';
    case 'string': return 'text';
    default: return 'jsonb';
  }
}

/** Marker for a value that does not fit its column's type (written as NULL and counted). */
export const MISMATCH = Symbol('mismatch');

/** A value as PostgreSQL's text input for a column type; null for SQL NULL. */
export function encodeValue(type: string, value: unknown): string | null | typeof MISMATCH {
  if (value === null || value === undefined) return null;
  switch (type) {
    case 'double precision':
    case 'real':
      return typeof value === 'number' ? String(value) : MISMATCH;
    case 'bigint':
    case 'integer':
    case 'smallint':
      return typeof value === 'number' && Number.isFinite(value) ? String(Math.trunc(value)) : MISMATCH;
    case 'numeric':
      return typeof value === 'number' && Number.isFinite(value) ? String(value) : typeof value === 'bigint' ? value.toString() : MISMATCH;
    case 'boolean':
      return typeof value === 'boolean' ? (value ? 't' : 'f') : MISMATCH;
    case 'text':
    case 'character varying':
      return typeof value === 'string' ? value : JSON.stringify(value);
    case 'jsonb':
    case 'json':
      return JSON.stringify(value);
    default:
      // A user-made column of another type: let PostgreSQL parse the text form.
      return typeof value === 'object' ? JSON.stringify(value) : String(value);
  }
}

/** The text a key is stored under in the tombstone table (type-stable: 1 and '1' differ). */
export function keyText(key: PrimaryKey): string {
  return JSON.stringify(key);
}

/** One field in COPY text format. */
export function copyField(v: string | null): string {
  if (v === null) return '\\N';
  // eslint-disable-next-line no-control-regex
  return /[\\\t\n\r]/.test(v) ? v.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r') : v;
}

/**
 * A COPY-text encoder for one column type: the field as COPY expects it (`\\N` for NULL,
 * escaped text), or MISMATCH. Same rules as encodeValue, without per-value dispatch on the type
 * (this runs for every cell of every batch).
 */
export function copyEncoder(type: string): (value: unknown) => string | typeof MISMATCH {
  switch (type) {
    case 'double precision':
    case 'real':
      return (v) => (typeof v === 'number' ? String(v) : v === null || v === undefined ? '\\N' : MISMATCH);
    case 'text':
    case 'character varying':
      return (v) => (typeof v === 'string' ? copyField(v) : v === null || v === undefined ? '\\N' : copyField(JSON.stringify(v)));
    default:
      return (v) => {
        const e = encodeValue(type, v);
        return e === MISMATCH ? MISMATCH : copyField(e);
      };
  }
}

export interface ColumnSet {
  /** Target columns in statement order, with their types. */
  names: string[];
  types: string[];
}

/** `binary`: the payload is in PostgreSQL's binary COPY format (copy-binary.ts), else text. */
export function copySql(table: string, cols: ColumnSet, binary = false): string {
  return `COPY ${table} (${[...cols.names, VERSION_COLUMN, ORIGIN_COLUMN].map(quoteIdent).join(', ')}) FROM STDIN${binary ? ' WITH (FORMAT binary)' : ''}`;
}

export const STAGE_TABLE = 'ferrydb_sink_stage';

/** A per-transaction staging table for the upsert path: the batch's columns plus version, origin and key text. */
export function stageSql(cols: ColumnSet): string {
  const defs = cols.names.map((c, i) => `${quoteIdent(c)} ${cols.types[i]}`);
  defs.push(`${quoteIdent(VERSION_COLUMN)} bigint`, `${quoteIdent(ORIGIN_COLUMN)} text`, '"__key_text__" text');
  return `CREATE TEMP TABLE ${STAGE_TABLE} (${defs.join(', ')}) ON COMMIT DROP`;
}

export function stageCopySql(cols: ColumnSet, binary = false): string {
  return `COPY ${STAGE_TABLE} (${[...cols.names, VERSION_COLUMN, ORIGIN_COLUMN, '__key_text__'].map(quoteIdent).join(', ')}) FROM STDIN${binary ? ' WITH (FORMAT binary)' : ''}`;
}

/**
 * Multi-row upsert from the staging table ($1 = the target table's name in the tombstone table).
 * A row is skipped when a newer-or-equal tombstone exists, and replaces a stored row only when
 * its version (version, origin) is greater: last writer wins, replays change nothing.
 */
export function upsertSql(table: string, keyColumn: string, cols: ColumnSet): string {
  const all = [...cols.names, VERSION_COLUMN, ORIGIN_COLUMN];
  const colList = all.map(quoteIdent).join(', ');
  const sets = all.filter((c) => c !== keyColumn).map((c) => `${quoteIdent(c)} = EXCLUDED.${quoteIdent(c)}`).join(', ');
  return `INSERT INTO ${table} AS t (${colList}) SELECT ${all.map((c) => `v.${quoteIdent(c)}`).join(', ')} FROM ${STAGE_TABLE} v `
    + `WHERE NOT EXISTS (SELECT 1 FROM ${TOMBSTONE_TABLE} tb WHERE tb.target_table = $1 AND tb.key = v."__key_text__" AND (tb.version, tb.origin) >= (v.${quoteIdent(VERSION_COLUMN)}, v.${quoteIdent(ORIGIN_COLUMN)})) `
    + `ON CONFLICT (${quoteIdent(keyColumn)}) DO UPDATE SET ${sets} `
    + `WHERE (t.${quoteIdent(VERSION_COLUMN)}, t.${quoteIdent(ORIGIN_COLUMN)}) < (EXCLUDED.${quoteIdent(VERSION_COLUMN)}, EXCLUDED.${quoteIdent(ORIGIN_COLUMN)})`;
}

/**
 * Deletes of `rowCount` keys: each (key, key text, version, origin). The stored row goes only
 * when older than the delete; the tombstone keeps the delete's version so an older write
 * replayed later (e.g. from another HQ node) cannot bring the row back.
 */
export function deleteSql(table: string, keyColumn: string, keyType: string, rowCount: number): string {
  const rows: string[] = [];
  for (let r = 0; r < rowCount; r++) rows.push(`($${r * 4 + 2}::${keyType}, $${r * 4 + 3}::text, $${r * 4 + 4}::bigint, $${r * 4 + 5}::text)`);
  const k = quoteIdent(keyColumn);
  return `WITH d(k, kt, version, origin) AS (VALUES ${rows.join(', ')}), `
    + `gone AS (DELETE FROM ${table} t USING d WHERE t.${k} = d.k AND (t.${quoteIdent(VERSION_COLUMN)}, t.${quoteIdent(ORIGIN_COLUMN)}) < (d.version, d.origin)) `
    + `INSERT INTO ${TOMBSTONE_TABLE} AS tb (target_table, key, version, origin) SELECT $1, kt, version, origin FROM d `
    + `ON CONFLICT (target_table, key) DO UPDATE SET version = EXCLUDED.version, origin = EXCLUDED.origin WHERE (tb.version, tb.origin) < (EXCLUDED.version, EXCLUDED.origin)`;
}

export function createTableSql(table: string, keyColumn: string, keyType: string): string {
  return `CREATE TABLE IF NOT EXISTS ${table} (${quoteIdent(keyColumn)} ${keyType} PRIMARY KEY, ${quoteIdent(VERSION_COLUMN)} bigint NOT NULL, ${quoteIdent(ORIGIN_COLUMN)} text NOT NULL)`;
}

export function addColumnSql(table: string, column: string, type: string): string {
  return `ALTER TABLE ${table} ADD COLUMN IF NOT EXISTS ${quoteIdent(column)} ${type}`;
}
