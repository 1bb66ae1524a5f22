/**
 * read_audit_log (4.x) and read_transaction_log (3.x filters, 4.x from/to form) over the change log,
 * one entry per write transaction; read_log over the node's log file.
 */
import type { TableDef } from '../../catalog/catalog.js';
import type { ChangeEntry, PrimaryKey, RecordData } from '../../changelog/entry.js';
import { hlcToMillis } from '../../changelog/hlc.js';
import { invalid } from '../../errors/db-error.js';
import type { Body, OperationContext } from '../context.js';
import { databaseOf, optionalInt, optionalString, tableOf } from '../fields.js';
import type { OperationRegistry } from '../registry.js';
import { readLog } from './read-log.js';

/** Most transactions one read returns unless `limit` says otherwise (a bound on the answer's size). */
export const DEFAULT_LIMIT = 10_000;

/** A date as HarperDB accepts it: epoch ms as a number or numeric string, or a date string. */
export function toMillis(v: unknown, field: string): number | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v.trim()) ? Number(v) : typeof v === 'string' ? Date.parse(v) : NaN;
  if (!Number.isFinite(n)) throw invalid(`'${field}' must be a date or epoch milliseconds`);
  return n;
}

/** The entries of one local write transaction. */
export interface Transaction {
  op: ChangeEntry['op'];
  user: string | null;
  timestamp: number;
  keys: PrimaryKey[];
  records: RecordData[];
}

/** Groups a table's log (in log order) into transactions; `keep` filters entries first. */
export function* transactions(entries: Iterable<ChangeEntry>): Generator<Transaction> {
  let current: Transaction | null = null;
  let txn = -1;
  for (const e of entries) {
    const id = e.txn ?? e.seq;
    if (current && id === txn && e.op === current.op) {
      current.keys.push(e.key);
      if (e.record) current.records.push(e.record);
      continue;
    }
    if (current) yield current;
    txn = id;
    current = { op: e.op, user: e.user, timestamp: hlcToMillis(e.hlc), keys: [e.key], records: e.record ? [e.record] : [] };
  }
  if (current) yield current;
}

function tableFor(body: Body, ctx: OperationContext): TableDef {
  return ctx.catalog.getTable(databaseOf(body), tableOf(body));
}

/** HarperDB 4.x's audit entry: operation, user_name, timestamp, hash_values, records. */
function auditEntry(t: Transaction): Record<string, unknown> {
  return { operation: t.op, user_name: t.user, timestamp: t.timestamp, hash_values: t.keys, ...(t.op === 'delete' ? {} : { records: t.records }) };
}

function searchOf(body: Body): { type: string | undefined; values: unknown[] } {
  const type = optionalString(body, 'search_type');
  if (type !== undefined && !['timestamp', 'username', 'hash_value'].includes(type)) throw invalid(`'search_type' must be one of timestamp, username, hash_value`);
  const values = body.search_values;
  if (type !== undefined && !Array.isArray(values)) throw invalid(`'search_values' must be an array`);
  return { type, values: (values as unknown[] | undefined) ?? [] };
}

function* inWindow(ctx: OperationContext, def: TableDef, from: number, to: number): Generator<Transaction> {
  for (const t of transactions(ctx.changelog.readTable(def.database, def.name))) {
    if (t.timestamp < from) continue;
    if (t.timestamp > to) return;
    yield t;
  }
}

/**
 * read_audit_log: a flat list of transactions, or for `hash_value` / `username` searches an object
 * keyed by each searched value (HarperDB's shape), each holding only that key's records.
 */
function readAuditLog(body: Body, ctx: OperationContext) {
  const def = tableFor(body, ctx);
  const { type, values } = searchOf(body);
  const limit = optionalInt(body, 'limit', 1) ?? DEFAULT_LIMIT;
  let from = -Infinity, to = Infinity;
  if (type === 'timestamp') {
    from = toMillis(values[0], 'search_values[0]') ?? -Infinity;
    to = toMillis(values[1], 'search_values[1]') ?? Infinity;
  }
  if (type === 'hash_value') {
    const out: Record<string, unknown[]> = {};
    for (const v of values) out[String(v)] = [];
    const wanted = new Set(values);
    const hash = def.hashAttribute;
    for (const t of inWindow(ctx, def, from, to)) {
      for (let i = 0; i < t.keys.length; i++) {
        const key = t.keys[i]!;
        if (!wanted.has(key)) continue;
        const record = t.records.find((r) => r[hash] === key);
        out[String(key)]!.push({ operation: t.op, user_name: t.user, timestamp: t.timestamp, hash_values: [key], ...(t.op === 'delete' ? {} : { records: record ? [record] : [] }) });
      }
    }
    return out;
  }
  if (type === 'username') {
    const out: Record<string, unknown[]> = {};
    for (const v of values) out[String(v)] = [];
    for (const t of inWindow(ctx, def, from, to)) if (t.user !== null && Object.hasOwn(out, t.user) && out[t.user]!.length < limit) out[t.user]!.push(auditEntry(t));
    return out;
  }
  const out: unknown[] = [];
  for (const t of inWindow(ctx, def, from, to)) {
    out.push(auditEntry(t));
    if (out.length >= limit) break;
  }
  return out;
}

/**
 * read_transaction_log: 3.x (`search_type`/`search_values`) or 4.0-4.3 (`from`/`to`/`limit`).
 * Entries are HarperDB's transaction records {operation, user, timestamp, records, hash_values};
 * a `define_schema` entry marks when the table appeared.
 */
function readTransactionLog(body: Body, ctx: OperationContext) {
  const def = tableFor(body, ctx);
  const { type, values } = searchOf(body);
  let from = toMillis(body.from, 'from') ?? -Infinity;
  let to = toMillis(body.to, 'to') ?? Infinity;
  if (type === 'timestamp') {
    from = toMillis(values[0], 'search_values[0]') ?? -Infinity;
    to = toMillis(values[1], 'search_values[1]') ?? Infinity;
  }
  const limit = optionalInt(body, 'limit', 1) ?? DEFAULT_LIMIT;
  const names = type === 'username' ? new Set(values) : null;
  const keys = type === 'hash_value' ? new Set(values) : null;
  const out: Record<string, unknown>[] = [];
  if (!names && !keys && def.createdTime >= from && def.createdTime <= to) {
    out.push({
      operation: 'define_schema', user: null, timestamp: def.createdTime, schema: def.database, database: def.database, table: def.name,
      hash_attribute: def.hashAttribute, attributes: def.attributes.map((attribute) => ({ attribute })), records: [],
    });
  }
  const hash = def.hashAttribute;
  for (const t of inWindow(ctx, def, from, to)) {
    if (out.length >= limit) break;
    if (names && !names.has(t.user)) continue;
    if (keys && !t.keys.some((k) => keys.has(k))) continue;
    const records = t.op === 'delete' ? t.keys.map((k) => ({ [hash]: k })) : t.records;
    out.push({ operation: t.op, user: t.user, timestamp: t.timestamp, hash_values: t.keys, records });
  }
  return out.slice(0, limit);
}

export function registerLogOperations(r: OperationRegistry): void {
  r.register({ name: 'read_log', handler: readLog, superUserOnly: true });
  r.register({ name: 'read_audit_log', handler: readAuditLog, superUserOnly: true });
  r.register({ name: 'read_transaction_log', handler: readTransactionLog, superUserOnly: true });
}
