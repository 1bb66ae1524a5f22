/**
 * The point-read shortcut: `SELECT * FROM db.t WHERE <primary key> = <literal>` (the statement
 * HQ dashboards and HarperDB clients send most) runs synchronously, without building a plan,
 * compiling closures or awaiting, so it costs about what `search_by_id` costs.
 *
 * The shape is recognised once per translated statement (cached with it by the parser, so by
 * normalised text); everything that can change between runs is checked on every run: the table
 * must exist and the caller must read all of it (otherwise the general planner answers, with
 * its 403s and column filtering), and the WHERE column must still be the table's primary key.
 * The rows are the general path's rows: the same probes (`equalityProbes`), then `=` re-checked.
 */
import { readableAttributes } from '../auth/permissions.js';
import type { RecordData } from '../changelog/entry.js';
import type { Expr, SelectStatement, Statement } from './ast.js';
import { readPath } from './access.js';
import { equalityProbes } from './planner.js';
import type { SqlServices } from './run-context.js';
import { sqlEquals } from './values.js';

export interface PointShape {
  database: string;
  table: string;
  column: string;
  param: number;
}

const shapes = new WeakMap<Statement, PointShape | null>();

/** The point shape of a statement, or null when the general path must run it (computed once per statement). */
export function pointShapeOf(st: Statement): PointShape | null {
  let s = shapes.get(st);
  if (s === undefined) { s = recognise(st); shapes.set(st, s); }
  return s;
}

function recognise(st: Statement): PointShape | null {
  if (st.type !== 'select') return null;
  const q: SelectStatement = st;
  if (q.distinct || q.joins.length || q.groupBy.length || q.having || q.orderBy.length || q.limit || q.offset) return null;
  if (q.columns.length !== 1) return null;
  const c = q.columns[0]!;
  if (c.kind !== 'star' || (c.table !== null && c.table !== q.from.alias)) return null;
  const w = q.where;
  if (!w || w.kind !== 'bin' || w.op !== '=') return null;
  const side = (col: Expr, lit: Expr): PointShape | null => {
    if (col.kind !== 'col' || lit.kind !== 'param') return null;
    if (col.table !== null && col.table !== q.from.alias && col.table !== q.from.table) return null;
    return { database: q.from.database, table: q.from.table, column: col.name, param: lit.index };
  };
  return side(w.left, w.right) ?? side(w.right, w.left);
}

/** The rows, or undefined when this run must take the general path (table restricted for the caller, column not the key). */
export function runPoint(svc: SqlServices, shape: PointShape, params: readonly unknown[]): RecordData[] | undefined {
  const def = svc.catalog.getTable(shape.database, shape.table);
  if (def.hashAttribute !== shape.column) return undefined;
  if (readableAttributes(svc.user, def.database, def.name) !== null) return undefined;
  const v = params[shape.param];
  const probes = equalityProbes(v, true);
  const out: RecordData[] = [];
  if (!probes) return out;
  for (const r of readPath(svc.records, def, { method: 'primary_key_lookup', attribute: def.hashAttribute, probes, reverse: false })) {
    if (r && sqlEquals(r[def.hashAttribute], v) === true) out.push(r);
  }
  return out;
}
