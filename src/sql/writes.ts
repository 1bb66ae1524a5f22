/**
 * INSERT, UPDATE and DELETE through the same write path as the NoSQL operations (so they are in
 * the change log and replicate), with the same response shapes. UPDATE and DELETE find their
 * rows with the SELECT planner.
 */
import { assertTableAccess } from '../auth/permissions.js';
import type { PrimaryKey, RecordData } from '../changelog/entry.js';
import { DbError, invalid } from '../errors/db-error.js';
import type { DeleteStatement, InsertStatement, SelectStatement, UpdateStatement } from './ast.js';
import { Scope, type Row } from './compile.js';
import { readPath } from './access.js';
import { describeAccess, planSelect } from './select-plan.js';
import { Slicer } from '../records/slicer.js';
import { checkHeld, type SqlServices } from './run-context.js';
import { isTrue } from './values.js';

/** Writes into a missing table are 400s in HarperDB (as for the insert operation). */
function tableForWrite(svc: SqlServices, database: string, table: string) {
  try {
    return svc.catalog.getTable(database, table);
  } catch (err) {
    if (err instanceof DbError && err.code === 'NOT_FOUND') throw new DbError('VALIDATION_FAILED', err.message);
    throw err;
  }
}

export async function runInsert(svc: SqlServices, st: InsertStatement, params: readonly unknown[], explain: boolean): Promise<unknown> {
  const def = tableForWrite(svc, st.into.database, st.into.table);
  if (new Set(st.columns).size !== st.columns.length) throw invalid('INSERT names a column twice');
  assertTableAccess(svc.user, def.database, def.name, 'insert', st.columns);
  if (explain) return { statement: 'insert', table: `${def.database}.${def.name}`, rows: st.rows.length, write_path: 'insert' };
  checkHeld(st.rows.length, svc.maxRows, 'write');
  const scope = new Scope([], params);
  const records = st.rows.map((row) => {
    const rec: RecordData = {};
    row.forEach((e, i) => { const v = scope.row(e)([]); rec[st.columns[i]!] = v === undefined ? null : v; });
    return rec;
  });
  const r = await svc.records.insert(def, records, svc.user.username);
  return { message: `inserted ${r.written.length} of ${r.written.length + r.skipped.length} records`, inserted_hashes: r.written, skipped_hashes: r.skipped };
}

/** The rows of `table` matching `where`, as (key, row) pairs, bounded by sql.maxRows. */
async function matchingRows(svc: SqlServices, st: UpdateStatement | DeleteStatement, params: readonly unknown[]) {
  const select: SelectStatement = {
    type: 'select', distinct: false, columns: [{ kind: 'star', table: null }], from: st.table, joins: [],
    where: st.where, groupBy: [], having: null, orderBy: [], limit: null, offset: null,
  };
  const plan = planSelect(svc, select, params);
  return { plan, select };
}

/**
 * Visits the rows of the statement's table that match its WHERE, bounded by sql.maxRows, and
 * keeps what `keep` makes of each (the key, or the partial record an UPDATE writes): a large
 * statement holds that much per row, never the matched records themselves.
 */
async function collect<T>(svc: SqlServices, st: UpdateStatement | DeleteStatement, params: readonly unknown[], keep: (t: Row) => T): Promise<T[]> {
  const { plan } = await matchingRows(svc, st, params);
  const slicer = new Slicer(svc.sliceMs);
  const out: T[] = [];
  const t: Row = [undefined];
  for (const r of readPath(svc.records, plan.defs[0]!, plan.access)) {
    const p = slicer.tick(); if (p) await p;
    if (r === null) continue;
    t[0] = r;
    if (plan.pre && !isTrue(plan.pre(t))) continue;
    out.push(keep(t));
    checkHeld(out.length, svc.maxRows, 'change');
  }
  return out;
}

export async function runUpdate(svc: SqlServices, st: UpdateStatement, params: readonly unknown[], explain: boolean): Promise<unknown> {
  const def = tableForWrite(svc, st.table.database, st.table.table);
  const columns = st.set.map((s) => s.column);
  if (columns.includes(def.hashAttribute)) throw invalid(`the primary key '${def.hashAttribute}' cannot be changed by UPDATE`);
  if (new Set(columns).size !== columns.length) throw invalid('UPDATE sets a column twice');
  assertTableAccess(svc.user, def.database, def.name, 'update', columns);
  if (explain) {
    const { plan, select } = await matchingRows(svc, st, params);
    return { statement: 'update', tables: describeAccess(plan, select), write_path: 'update' };
  }
  const scope = new Scope([{ alias: st.table.alias, table: def.name, attributes: svc.catalog.attributeSet(def) }], params);
  const sets = st.set.map((s) => ({ column: s.column, f: scope.row(s.value) }));
  const records = await collect(svc, st, params, (t): RecordData => {
    const rec: RecordData = { [def.hashAttribute]: t[0]![def.hashAttribute] };
    for (const s of sets) { const v = s.f(t); rec[s.column] = v === undefined ? null : v; }
    return rec;
  });
  if (!records.length) return { message: 'updated 0 of 0 records', update_hashes: [], skipped_hashes: [] };
  const r = await svc.records.update(def, records, svc.user.username);
  return { message: `updated ${r.written.length} of ${r.written.length + r.skipped.length} records`, update_hashes: r.written, skipped_hashes: r.skipped };
}

export async function runDelete(svc: SqlServices, st: DeleteStatement, params: readonly unknown[], explain: boolean): Promise<unknown> {
  const def = svc.catalog.getTable(st.table.database, st.table.table);
  assertTableAccess(svc.user, def.database, def.name, 'delete');
  if (explain) {
    const { plan, select } = await matchingRows(svc, st, params);
    return { statement: 'delete', tables: describeAccess(plan, select), write_path: 'delete' };
  }
  const keys = await collect(svc, st, params, (t) => t[0]![def.hashAttribute] as PrimaryKey);
  const r = await svc.records.delete(def, keys, svc.user.username);
  const total = r.written.length + r.skipped.length;
  return { message: `${r.written.length} of ${total} record${total === 1 ? '' : 's'} successfully deleted`, deleted_hashes: r.written, skipped_hashes: r.skipped };
}
