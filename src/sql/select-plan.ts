/**
 * Plans a SELECT: resolves and authorises its tables, compiles its expressions, chooses the
 * first table's access path and each join's method (index nested loop when the joined table's
 * side of an equality is its primary key or an indexed attribute, else a hash join), and
 * describes the plan for EXPLAIN.
 */
import { assertTableAccess, readableAttributes } from '../auth/permissions.js';
import type { TableDef } from '../catalog/catalog.js';
import { invalid } from '../errors/db-error.js';
import { exprText, type Expr, type SelectStatement } from './ast.js';
import { describeProbes, type AccessPath } from './access.js';
import { Scope, type Compiled, type Row } from './compile.js';
import { chooseAccess, conjuncts, sourcesOf, type OrderHint } from './planner.js';
import type { SqlServices } from './run-context.js';

export interface JoinPlan {
  index: number;
  def: TableDef;
  type: 'inner' | 'left';
  method: 'index_nested_loop' | 'hash_join';
  /** Joined table's attribute looked up (index nested loop). */
  attribute: string | null;
  leftKey: Compiled<Row>;
  rightKey: Compiled<Row>;
  on: Compiled<Row>;
  /** Conditions on the joined table alone, applied before combining (inner joins). */
  rightFilter: Compiled<Row> | null;
  text: string;
}

export interface SelectPlan {
  defs: TableDef[];
  scope: Scope;
  access: AccessPath & { ordered: boolean; orderAttribute: string | null };
  pre: Compiled<Row> | null;
  /** The WHERE conjuncts on the first table alone (pre) and the rest (post), as expressions. */
  preExpr: Expr | null;
  joins: JoinPlan[];
  post: Compiled<Row> | null;
  postExpr: Expr | null;
  /** Attributes readable per table (null: all). */
  readable: (ReadonlySet<string> | null)[];
  aggregate: boolean;
  countOnly: boolean;
}

function and(exprs: Expr[]): Expr | null {
  return exprs.reduce<Expr | null>((acc, e) => (acc ? { kind: 'bin', op: 'AND', left: acc, right: e } : e), null);
}

type AggExpr = Extract<Expr, { kind: 'agg' }>;

/** True when an expression holds an aggregate that passes the test (any aggregate by default). */
export function hasAggregate(e: Expr | null, test: (a: AggExpr) => boolean = () => true): boolean {
  if (!e) return false;
  const has = (x: Expr | null) => hasAggregate(x, test);
  switch (e.kind) {
    case 'agg': return test(e);
    case 'bin': return has(e.left) || has(e.right);
    case 'not': case 'neg': case 'isnull': return has(e.expr);
    case 'in': return has(e.expr) || e.list.some(has);
    case 'between': return has(e.expr) || has(e.low) || has(e.high);
    case 'like': return has(e.expr) || has(e.pattern);
    case 'fn': return e.args.some(has);
    default: return false;
  }
}

/** True when an expression holds an aggregate over DISTINCT values (COUNT(DISTINCT x)). */
export function hasDistinctAggregate(e: Expr | null): boolean {
  return hasAggregate(e, (a) => a.distinct);
}

function columnsOf(e: Expr | null, scope: Scope, out: Set<string>[]): void {
  if (!e) return;
  switch (e.kind) {
    case 'col': out[scope.resolve(e.table, e.name)]!.add(e.name); break;
    case 'bin': columnsOf(e.left, scope, out); columnsOf(e.right, scope, out); break;
    case 'not': case 'neg': case 'isnull': columnsOf(e.expr, scope, out); break;
    case 'in': columnsOf(e.expr, scope, out); e.list.forEach((x) => columnsOf(x, scope, out)); break;
    case 'between': columnsOf(e.expr, scope, out); columnsOf(e.low, scope, out); columnsOf(e.high, scope, out); break;
    case 'like': columnsOf(e.expr, scope, out); columnsOf(e.pattern, scope, out); break;
    case 'fn': e.args.forEach((x) => columnsOf(x, scope, out)); break;
    case 'agg': columnsOf(e.arg, scope, out); break;
    default: break;
  }
}

export function planSelect(svc: SqlServices, st: SelectStatement, params: readonly unknown[]): SelectPlan {
  const refs = [st.from, ...st.joins];
  const defs = refs.map((r) => svc.catalog.getTable(r.database, r.table));
  const aliases = new Set<string>();
  for (const r of refs) {
    if (aliases.has(r.alias)) throw invalid(`table alias '${r.alias}' is used twice; give each table its own alias`);
    aliases.add(r.alias);
  }
  const readable = defs.map((d) => readableAttributes(svc.user, d.database, d.name));
  const scope = new Scope(refs.map((r, i) => ({ alias: r.alias, table: r.table, attributes: svc.catalog.attributeSet(defs[i]!) })), params);

  // Every column a statement reads must be readable by the caller (403 otherwise).
  const used = defs.map(() => new Set<string>());
  const all: (Expr | null)[] = [st.where, st.having, ...st.joins.map((j) => j.on), ...st.groupBy, ...st.orderBy.map((o) => o.expr), ...st.columns.map((c) => (c.kind === 'expr' ? c.expr : null))];
  for (const e of all) columnsOf(e, scope, used);
  defs.forEach((d, i) => { if (readable[i] && used[i]!.size) assertTableAccess(svc.user, d.database, d.name, 'read', used[i]); });

  const aggregate = st.groupBy.length > 0 || hasAggregate(st.having) || st.columns.some((c) => c.kind === 'expr' && hasAggregate(c.expr)) || st.orderBy.some((o) => hasAggregate(o.expr));
  if (!aggregate && st.having) throw invalid('HAVING needs GROUP BY or an aggregate');
  if (aggregate && st.columns.some((c) => c.kind === 'star')) throw invalid(`'*' cannot be selected together with GROUP BY or aggregates; name the columns`);
  for (const c of st.columns) if (c.kind === 'star' && c.table !== null && !refs.some((r) => r.alias === c.table || r.table === c.table)) throw invalid(`unknown table '${c.table}' in '${c.table}.*'`);
  if (hasAggregate(st.where)) throw invalid('aggregates are not allowed in WHERE (use HAVING)');

  const countOnly = aggregate && !st.where && st.joins.length === 0 && st.groupBy.length === 0 && !st.having
    && st.columns.every((c) => c.kind === 'expr' && c.expr.kind === 'agg' && c.expr.name === 'COUNT' && c.expr.arg === null && !c.expr.distinct);

  const terms = conjuncts(st.where);
  const bySources = terms.map((t) => sourcesOf(t, scope));
  const preTerms = terms.filter((_, i) => [...bySources[i]!].every((s) => s === 0));
  const rightTerms = new Map<number, Expr[]>();
  const postTerms: Expr[] = [];
  terms.forEach((t, i) => {
    const s = [...bySources[i]!];
    if (s.every((x) => x === 0)) return;
    const j = s.length === 1 ? s[0]! : -1;
    if (j > 0 && st.joins[j - 1]!.type === 'inner') { rightTerms.set(j, [...(rightTerms.get(j) ?? []), t]); return; }
    postTerms.push(t);
  });

  const order: OrderHint | null = !aggregate && st.limit && st.orderBy.length === 1 && st.orderBy[0]!.expr.kind === 'col' && scope.resolve((st.orderBy[0]!.expr as { table: string | null }).table, (st.orderBy[0]!.expr as { name: string }).name) === 0
    ? { attribute: (st.orderBy[0]!.expr as { name: string }).name, descending: st.orderBy[0]!.descending } : null;
  const access = chooseAccess(svc.records, defs[0]!, scope, preTerms, order);

  const joins = st.joins.map((j, k): JoinPlan => {
    const index = k + 1;
    const def = defs[index]!;
    let leftKey: Expr | null = null, rightKey: Expr | null = null;
    for (const t of conjuncts(j.on)) {
      if (t.kind !== 'bin' || t.op !== '=') continue;
      const l = sourcesOf(t.left, scope), r = sourcesOf(t.right, scope);
      const leftSide = (s: Set<number>) => s.size > 0 && [...s].every((x) => x < index);
      const here = (s: Set<number>) => s.size === 1 && s.has(index);
      let cand: [Expr, Expr] | null = null;
      if (here(l) && leftSide(r)) cand = [t.left, t.right];
      else if (here(r) && leftSide(l)) cand = [t.right, t.left];
      if (!cand) continue;
      const isIndexedCol = cand[0].kind === 'col' && svc.records.isIndexed(def, cand[0].name);
      if (!rightKey || (isIndexedCol && !(rightKey.kind === 'col' && svc.records.isIndexed(def, rightKey.name)))) { rightKey = cand[0]; leftKey = cand[1]; }
    }
    if (!rightKey || !leftKey) throw invalid(`unsupported SQL: ${j.type.toUpperCase()} JOIN '${j.alias}' needs an equality between it and an earlier table in ON (a.x = b.y)`);
    for (const t of conjuncts(j.on)) for (const s of sourcesOf(t, scope)) if (s > index) throw invalid(`ON of '${j.alias}' refers to a table joined after it`);
    const indexed = rightKey.kind === 'col' && svc.records.isIndexed(def, rightKey.name);
    const filter = and(rightTerms.get(index) ?? []);
    return {
      index, def, type: j.type, method: indexed ? 'index_nested_loop' : 'hash_join',
      attribute: indexed ? (rightKey as { name: string }).name : null,
      leftKey: scope.row(leftKey), rightKey: scope.row(rightKey), on: scope.row(j.on),
      rightFilter: filter ? scope.row(filter) : null,
      text: `${exprText(rightKey, params)} = ${exprText(leftKey, params)}`,
    };
  });
  const pre = and(preTerms), post = and(postTerms);
  return { defs, scope, access, pre: pre ? scope.row(pre) : null, preExpr: pre, joins, post: post ? scope.row(post) : null, postExpr: post, readable, aggregate, countOnly };
}

export function describeAccess(plan: SelectPlan, st: SelectStatement): Record<string, unknown>[] {
  const a = plan.access;
  const first = {
    table: `${st.from.database}.${st.from.table}`, alias: st.from.alias,
    access: plan.countOnly ? 'table_count' : a.method,
    ...(a.attribute && !plan.countOnly ? { attribute: a.attribute } : {}),
    ...(a.probes.length && a.method !== 'index_order' && !plan.countOnly ? { keys: describeProbes(a.probes) } : {}),
    ...(a.ordered && !plan.countOnly ? { order: a.reverse ? 'descending' : 'ascending' } : {}),
    ...(a.estimate && !plan.countOnly ? { estimated_rows: a.estimate.rows, table_rows: a.estimate.of } : {}),
    ...(a.spanFetch && !plan.countOnly ? { fetch: 'primary_key_span_when_clustered' } : {}),
    ...(a.reason && !plan.countOnly ? { reason: a.reason } : {}),
  };
  return [first, ...plan.joins.map((j) => ({
    table: `${j.def.database}.${j.def.name}`, alias: st.joins[j.index - 1]!.alias, join: j.type, method: j.method,
    ...(j.attribute ? { attribute: j.attribute } : {}), on: j.text,
  }))];
}
