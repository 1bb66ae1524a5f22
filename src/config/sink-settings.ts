/**
 * Pure parsing of sink definitions (the `sinks` list of the config file, the SINKS variable as
 * JSON, and the add_sink/update_sink operations). Returns normalised definitions or a problem
 * message; never touches the network. The target URL carries credentials: callers show it only
 * through redactUrl().
 */

export const SINK_TYPES = ['postgresql'] as const;
export type SinkType = (typeof SINK_TYPES)[number];

export interface SinkTableDef {
  database: string;
  table: string;
  /** Target table as `schema.table` or `table` (schema public); default `<database>.<table>`. */
  target: string | null;
  /** Attribute -> target column name; unmapped attributes keep their own name. */
  columns: Record<string, string>;
}

export interface SinkDefinition {
  name: string;
  type: SinkType;
  /** Connection URL, with credentials (never returned nor logged). */
  url: string;
  tables: SinkTableDef[];
  /** Create missing target tables and add columns for new attributes. */
  createTables: boolean;
  /** Most change-log entries per target transaction (default: sink.batch.maxRows). */
  batchRows: number | null;
}

const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;
const IDENT = /^[A-Za-z_][A-Za-z0-9_$]{0,62}$/;

/** A problem found while parsing, with the field's path. */
export class SinkSettingError extends Error {}

function fail(path: string, why: string): never {
  throw new SinkSettingError(`'${path}' ${why}`);
}

function str(v: unknown, path: string, required = true): string | null {
  if (v === undefined || v === null || v === '') return required ? fail(path, 'is required') : null;
  if (typeof v !== 'string') fail(path, 'must be a string');
  return v;
}

/** Parses a `schema.table` or `table` target name; null when it is not a plain identifier pair. */
export function parseTargetName(name: string): { schema: string; table: string } | null {
  const parts = name.split('.');
  if (parts.length > 2 || parts.some((p) => !IDENT.test(p))) return null;
  return parts.length === 2 ? { schema: parts[0]!, table: parts[1]! } : { schema: 'public', table: parts[0]! };
}

function parseTable(raw: unknown, path: string): SinkTableDef {
  if (typeof raw === 'string') {
    const [database, table, ...rest] = raw.split('.');
    if (!database || !table || rest.length) fail(path, `must be 'database.table' or a mapping`);
    return { database, table, target: null, columns: {} };
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) fail(path, `must be 'database.table' or a mapping`);
  const o = raw as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!['database', 'schema', 'table', 'target', 'columns'].includes(k)) fail(`${path}.${k}`, 'is not a known field');
  const database = str(o.database ?? o.schema ?? 'data', `${path}.database`)!;
  const table = str(o.table, `${path}.table`)!;
  const target = str(o.target, `${path}.target`, false);
  if (target !== null && !parseTargetName(target)) fail(`${path}.target`, `must be 'schema.table' or 'table' made of letters, digits and '_'`);
  const columns: Record<string, string> = {};
  if (o.columns !== undefined && o.columns !== null) {
    if (typeof o.columns !== 'object' || Array.isArray(o.columns)) fail(`${path}.columns`, 'must map attribute names to column names');
    for (const [attr, col] of Object.entries(o.columns as Record<string, unknown>)) {
      if (typeof col !== 'string' || !IDENT.test(col)) fail(`${path}.columns.${attr}`, `must be a column name made of letters, digits and '_'`);
      columns[attr] = col;
    }
  }
  return { database, table, target, columns };
}

/** Parses one sink definition (wire and file names: create_tables/createTables, batch_rows/batchRows). */
export function parseSinkDefinition(raw: unknown, path = 'sink'): SinkDefinition {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) fail(path, 'must be a mapping');
  const o = raw as Record<string, unknown>;
  const known = ['name', 'type', 'url', 'tables', 'create_tables', 'createTables', 'batch_rows', 'batchRows'];
  for (const k of Object.keys(o)) if (!known.includes(k)) fail(`${path}.${k}`, 'is not a known field');
  const name = str(o.name, `${path}.name`)!;
  if (!NAME.test(name)) fail(`${path}.name`, `must be 1-64 letters, digits, '-', '_' or '.'`);
  const type = (str(o.type, `${path}.type`, false) ?? 'postgresql') as SinkType;
  if (!SINK_TYPES.includes(type)) fail(`${path}.type`, `must be one of ${SINK_TYPES.join(', ')}`);
  const url = str(o.url, `${path}.url`)!;
  let parsed: URL;
  try { parsed = new URL(url); } catch { fail(`${path}.url`, 'must be a URL such as postgres://user:password@host:5432/database'); }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') fail(`${path}.url`, `must start with postgres:// or postgresql://`);
  if (!Array.isArray(o.tables) || o.tables.length === 0) fail(`${path}.tables`, 'must be a non-empty list of tables');
  const tables = o.tables.map((t, i) => parseTable(t, `${path}.tables[${i}]`));
  const seen = new Set<string>();
  for (const t of tables) {
    const k = `${t.database}.${t.table}`;
    if (seen.has(k)) fail(`${path}.tables`, `lists '${k}' twice`);
    seen.add(k);
  }
  const ct = o.create_tables ?? o.createTables ?? true;
  if (typeof ct !== 'boolean') fail(`${path}.create_tables`, 'must be true or false');
  const br = o.batch_rows ?? o.batchRows ?? null;
  if (br !== null && (!Number.isSafeInteger(br) || (br as number) < 1 || (br as number) > 100_000)) fail(`${path}.batch_rows`, 'must be a whole number from 1 to 100000');
  return { name, type, url, tables, createTables: ct, batchRows: br as number | null };
}

/** Parses the `sinks` setting: a list of definitions (or its JSON text, from the environment). */
export function parseSinkList(raw: unknown): SinkDefinition[] {
  let list = raw;
  if (typeof raw === 'string') {
    try { list = JSON.parse(raw); } catch { fail('sinks', 'must be a JSON list when given as text'); }
  }
  if (!Array.isArray(list)) fail('sinks', 'must be a list of sink definitions');
  const out = list.map((d, i) => parseSinkDefinition(d, `sinks[${i}]`));
  const names = new Set<string>();
  for (const d of out) {
    if (names.has(d.name)) fail('sinks', `names '${d.name}' twice`);
    names.add(d.name);
  }
  return out;
}

/** The URL without its password (user, host, port and database stay, for diagnosis). */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '********';
    for (const k of [...u.searchParams.keys()]) if (/pass|secret|key|token/i.test(k)) u.searchParams.set(k, '********');
    return u.toString();
  } catch {
    return '(invalid url)';
  }
}
