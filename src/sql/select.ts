/**
 * Runs a planned SELECT as a stream: access path -> first-table filter -> joins -> WHERE ->
 * either streaming aggregation (one state per group) or projection with DISTINCT, ordering
 * (none when the access path is already in ORDER BY order, a bounded top-N buffer with LIMIT,
 * a full sort otherwise) and LIMIT/OFFSET, which stops the stream early when it can.
 * The statement yields to the event loop every few milliseconds.
 */
import type { RecordData } from '../changelog/entry.js';
import { invalid } from '../errors/db-error.js';
import { exprText, type Expr, type SelectStatement } from './ast.js';
import { countEntries, entriesInBatch, keySpanOf, outsideSpan, readPath, readPathBatches, type KeySpan, type Probe } from './access.js';
import { GroupTable } from './group-table.js';
import type { TableDef } from '../catalog/catalog.js';
import { constantOf, type Compiled, type GroupRow, type Row } from './compile.js';
import { equalityProbes } from './planner.js';
import { describeAccess, hasDistinctAggregate, planSelect, type JoinPlan, type SelectPlan } from './select-plan.js';
import { pagedBatches, Slicer } from '../records/slicer.js';
import { RowStream } from '../operations/row-stream.js';
import { checkHeld, type SqlServices } from './run-context.js';
import { groupKey, isTrue, sortCompare } from './values.js';
import { INDEX_PREFIX_CHARS } from '../records/index-keys.js';
import { QUERY_BATCH_ROWS } from '../records/search.js';

type Out = Record<string, unknown>;

/** Thrown when an ordered index read meets a row it cannot place (array, long string): re-plan with a sort. */
class NotInIndexOrder extends Error {}

function limitOf(e: Expr | null, params: readonly unknown[], what: string): number | undefined {
  if (!e) return undefined;
  const k = constantOf(e, params);
  const v = k?.value;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw invalid(`${what} must be a whole number of at least 0`);
  return v;
}

/** Rows of a SELECT (or its plan when explain is set). */
export async function runSelect(svc: SqlServices, st: SelectStatement, params: readonly unknown[], explain: boolean): Promise<unknown> {
  const plan = planSelect(svc, st, params);
  const limit = limitOf(st.limit, params, 'LIMIT');
  const offset = limitOf(st.offset, params, 'OFFSET') ?? 0;
  const sort = !plan.aggregate && st.orderBy.length > 0 && !plan.access.ordered ? (limit !== undefined ? 'top_n' : 'full_sort') : plan.access.ordered && st.orderBy.length ? 'index_order' : st.orderBy.length ? 'full_sort' : 'none';
  if (explain) {
    return {
      statement: 'select', tables: describeAccess(plan, st),
      aggregate: plan.countOnly ? 'table_count' : plan.aggregate ? (st.groupBy.length ? 'streaming_hash_aggregate' : 'streaming_aggregate') : null,
      sort, distinct: st.distinct, limit: limit ?? null, offset,
      ...(parallelSplit(svc, plan, st) ? { parallel: 'scan_worker' } : {}),
    };
  }
  const slicer = new Slicer(svc.sliceMs);
  if (plan.countOnly) {
    const n = svc.records.count(plan.defs[0]!);
    const out: Out = {};
    for (const c of st.columns) if (c.kind === 'expr') out[c.alias ?? exprText(c.expr, params)] = n;
    return offset > 0 || limit === 0 ? [] : [out];
  }
  try {
    return await execute(svc, st, plan, params, limit, offset, slicer);
  } catch (err) {
    if (!(err instanceof NotInIndexOrder)) throw err;
    const unordered: SelectPlan = { ...plan, access: { method: 'full_scan', attribute: null, probes: [], reverse: false, ordered: false, orderAttribute: null } };
    return execute(svc, st, unordered, params, limit, offset, slicer);
  }
}

/** Builds each join's lookup (hash tables are filled here, sliced) before rows stream. */
async function prepareJoins(svc: SqlServices, plan: SelectPlan, slicer: Slicer): Promise<JoinFn[]> {
  const out: JoinFn[] = [];
  for (const j of plan.joins) out.push(await joinStep(svc, j, slicer));
  return out;
}

/** Yielded by rowsOf while the access path reads no rows (index keys only): tick, then skip. */
const PAUSE: Row = [];

/** The joined rows, streamed (sync generator; the caller slices and skips PAUSE). */
function* rowsOf(svc: SqlServices, plan: SelectPlan, joins: JoinFn[]): Generator<Row> {
  const first = plan.defs[0]!;
  const orderAttr = plan.access.orderAttribute;
  const checkOrder = orderAttr !== null && orderAttr !== first.hashAttribute;
  const pre = plan.pre;
  // One tuple is reused for every row of the first table: consumers copy what they keep.
  const t: Row = [undefined];
  for (const r of readPath(svc.records, first, plan.access)) {
    if (r === null) { yield PAUSE; continue; }
    if (checkOrder) {
      const v = r[orderAttr];
      if (!(typeof v === 'number' || typeof v === 'boolean' || (typeof v === 'string' && v.length > 0 && v.length <= INDEX_PREFIX_CHARS))) throw new NotInIndexOrder();
    }
    t[0] = r;
    if (pre && !isTrue(pre(t))) continue;
    if (!joins.length) { yield t; continue; }
    yield* joinAll(t, joins, 0);
  }
}

type JoinFn = (t: Row) => Iterable<Row>;

function* joinAll(t: Row, joins: JoinFn[], k: number): Generator<Row> {
  if (k === joins.length) { yield t; return; }
  for (const u of joins[k]!(t)) yield* joinAll(u, joins, k + 1);
}

async function joinStep(svc: SqlServices, j: JoinPlan, slicer: Slicer): Promise<JoinFn> {
  const { def, index } = j;
  const matchAll = (t: Row, candidates: Iterable<RecordData>): Row[] => {
    const out: Row[] = [];
    for (const c of candidates) {
      const u = t.slice(); u[index] = c;
      if (j.rightFilter && !isTrue(j.rightFilter(u))) continue;
      if (isTrue(j.on(u))) out.push(u);
    }
    if (!out.length && j.type === 'left') { const u = t.slice(); u[index] = undefined; out.push(u); }
    return out;
  };
  if (j.method === 'index_nested_loop') {
    const isPrimary = j.attribute === def.hashAttribute;
    return (t) => {
      const v = j.leftKey(t);
      const values = Array.isArray(v) ? v : [v];
      const seen = new Set<RecordData>();
      const cands: RecordData[] = [];
      for (const x of values) {
        const probes = equalityProbes(x, isPrimary);
        if (!probes) continue;
        for (const r of readPath(svc.records, def, { method: isPrimary ? 'primary_key_lookup' : 'index_lookup', attribute: j.attribute, probes, reverse: false })) {
          if (r && !seen.has(r)) { seen.add(r); cands.push(r); }
        }
      }
      return matchAll(t, cands);
    };
  }
  const build = async () => {
    const m = new Map<unknown, RecordData[]>();
    let held = 0;
    for (const r of svc.records.recordsInRange(def)) {
      const p = slicer.tick(); if (p) await p;
      const u: Row = new Array(index + 1); u[index] = r;
      if (j.rightFilter && !isTrue(j.rightFilter(u))) continue;
      const v = j.rightKey(u);
      for (const k of hashKeys(v)) { const b = m.get(k); if (b) b.push(r); else m.set(k, [r]); }
      checkHeld(++held, svc.maxRows, `hold (hash join build of '${def.database}.${def.name}')`);
    }
    return m;
  };
  const table = await build();
  return (t) => {
    const seen = new Set<RecordData>();
    const cands: RecordData[] = [];
    for (const k of hashKeys(j.leftKey(t))) for (const r of table.get(k) ?? []) if (!seen.has(r)) { seen.add(r); cands.push(r); }
    return matchAll(t, cands);
  };
}

/** Hash keys of a join value: numbers and numeric strings meet (ON re-checks exact equality). */
function hashKeys(v: unknown): unknown[] {
  if (v === null || v === undefined) return [];
  if (Array.isArray(v)) return v.flatMap(hashKeys);
  if (typeof v === 'number') return [v];
  if (typeof v === 'string') { const n = Number(v); return v.trim() !== '' && Number.isFinite(n) ? [n] : [`s${v}`]; }
  if (typeof v === 'boolean') return [`b${v}`];
  return [`o${JSON.stringify(v)}`];
}

function projector(plan: SelectPlan, st: SelectStatement, params: readonly unknown[], group: boolean): (x: Row | GroupRow) => Out {
  const scope = plan.scope;
  const parts: ((x: Row | GroupRow, out: Out) => void)[] = [];
  for (const c of st.columns) {
    if (c.kind === 'star') {
      const idx = c.table === null ? plan.defs.map((_, i) => i) : [scope.resolve(c.table, '*')];
      for (const i of idx) {
        const allowed = plan.readable[i];
        parts.push((x, out) => {
          const r = (x as Row)[i];
          if (!r) return;
          for (const k in r) if (!allowed || allowed.has(k)) out[k] = r[k];
        });
      }
      continue;
    }
    const name = c.alias ?? (c.expr.kind === 'col' ? c.expr.name : exprText(c.expr, params));
    const f = (group ? scope.group(c.expr) : scope.row(c.expr)) as Compiled<Row | GroupRow>;
    parts.push((x, out) => { const v = f(x); out[name] = v === undefined ? null : v; });
  }
  // SELECT * of one table without restrictions returns the stored record as it is.
  if (!group && st.columns.length === 1 && st.columns[0]!.kind === 'star' && plan.defs.length === 1 && !plan.readable[0]) return (x) => (x as Row)[0]!;
  return (x) => { const out: Out = {}; for (const p of parts) p(x, out); return out; };
}

async function execute(svc: SqlServices, st: SelectStatement, plan: SelectPlan, params: readonly unknown[], limit: number | undefined, offset: number, slicer: Slicer): Promise<Out[] | RowStream> {
  const scope = plan.scope;
  const post = plan.post;
  const rows = rowsOf(svc, plan, await prepareJoins(svc, plan, slicer));
  if (plan.aggregate) {
    const project = projector(plan, st, params, true);
    const having = st.having ? scope.group(st.having) : null;
    const orderKeys = st.orderBy.map((o) => scope.group(o.expr));
    const table = new GroupTable(scope, post, st.groupBy, svc.maxRows);
    if (!plan.joins.length) {
      // One table: read the access path in batches and run the row loop without a generator per row;
      // a large scan shares its key range with the scan worker.
      const pre = plan.pre;
      const t: Row = [undefined];
      const addAll = async (batches: Iterable<RecordData[]>): Promise<void> => {
        for (const batch of batches) {
          const p = slicer.tickMany(batch.length); if (p) await p;
          for (let i = 0; i < batch.length; i++) {
            t[0] = batch[i];
            if (pre && !isTrue(pre(t))) continue;
            table.add(t);
          }
        }
      };
      if (!(await parallelAggregate(svc, plan, st, params, table, addAll))) await addAll(readPathBatches(svc.records, plan.defs[0]!, plan.access));
    } else {
      for (const t of rows) {
        const p = slicer.tick(); if (p) await p;
        if (t !== PAUSE) table.add(t);
      }
    }
    table.ensureSingle();
    const groups = table.groups;
    let out: { row: Out; keys: unknown[] }[] = [];
    for (const g of groups.values()) {
      const gr: GroupRow = { first: g.first, values: g.accs.map((a) => a.result()) };
      if (having && !isTrue(having(gr))) continue;
      out.push({ row: project(gr), keys: orderKeys.map((k) => k(gr)) });
    }
    if (st.distinct) out = distinctRows(out);
    if (st.orderBy.length) out.sort(comparer(st));
    return page(out.map((o) => o.row), offset, limit);
  }

  const project = projector(plan, st, params, false);
  const orderKeys = st.orderBy.map((o) => scope.row(o.expr));
  const needSort = st.orderBy.length > 0 && !plan.access.ordered;
  const wanted = limit === undefined ? Infinity : offset + limit;
  if (wanted === 0) return [];
  // Nothing to sort or de-duplicate: the rows are sent as they are read, never held.
  if (!st.orderBy.length && !st.distinct) {
    const keep = (t: Row) => t !== PAUSE && (!post || isTrue(post(t)));
    return new RowStream(pagedBatches(rows, keep, project, offset, wanted, slicer, QUERY_BATCH_ROWS));
  }
  const seen = st.distinct ? new Set<unknown>() : null;
  let buf: { row: Out; keys: unknown[] }[] = [];
  const cmp = comparer(st);
  for (const t of rows) {
    const p = slicer.tick(); if (p) await p;
    if (t === PAUSE || (post && !isTrue(post(t)))) continue;
    const row = project(t);
    if (seen) {
      const k = groupKey(Object.values(row));
      if (seen.has(k)) continue;
      seen.add(k);
      checkHeld(seen.size, svc.maxRows, 'hold (DISTINCT)');
    }
    buf.push({ row, keys: needSort ? orderKeys.map((k) => k(t)) : [] });
    if (!needSort) {
      if (buf.length >= wanted) break;
      checkHeld(buf.length, svc.maxRows, 'return');
    } else if (wanted !== Infinity) {
      if (buf.length >= Math.max(2 * wanted, 1024)) { buf.sort(cmp); buf.length = wanted; }
      checkHeld(Math.min(buf.length, wanted), svc.maxRows, 'sort');
    } else checkHeld(buf.length, svc.maxRows, 'sort');
  }
  if (needSort) buf.sort(cmp);
  const result = page(buf.map((o) => o.row), offset, limit);
  checkHeld(result.length, svc.maxRows, 'return');
  return result;
}

interface Split { span: KeySpan | null; mid: number }

function usesDistinctAggregate(st: SelectStatement): boolean {
  return st.columns.some((c) => c.kind === 'expr' && hasDistinctAggregate(c.expr)) || hasDistinctAggregate(st.having) || st.orderBy.some((o) => hasDistinctAggregate(o.expr));
}

/** Where a one-table aggregate splits its key range with the scan worker, or null when it reads it alone. */
function parallelSplit(svc: SqlServices, plan: SelectPlan, st: SelectStatement): Split | null {
  const min = svc.parallelMinRows ?? 0;
  const path = plan.access;
  const def = plan.defs[0]!;
  if (!svc.scan || min <= 0 || !plan.aggregate || plan.countOnly || plan.joins.length || usesDistinctAggregate(st)) return null;
  let span: KeySpan | null = null;
  let low: number, high: number;
  if (path.method === 'full_scan') {
    if (svc.records.count(def) < min) return null;
    const first = firstKey(svc.records.recordBatches(def, {}, 1), def), last = firstKey(svc.records.recordBatches(def, { reverse: true }, 1), def);
    if (typeof first !== 'number' || typeof last !== 'number') return null;
    low = first; high = last;
  } else if (path.spanFetch && path.attribute && path.attribute !== def.hashAttribute) {
    const estimate = path.estimate?.rows ?? 0;
    if (estimate < min) return null;
    // Chosen on the planner's estimate: the exact count runs while the worker reads (parallelAggregate).
    span = keySpanOf(svc.records, def, path.attribute, path.probes, estimate);
    if (!span) return null;
    low = span.start; high = span.end;
  } else return null;
  const mid = low + (high - low) / 2;
  return mid > low && mid < high ? { span, mid } : null;
}

/**
 * A one-table aggregate over a large numeric key range (a full scan or a primary-key span)
 * reads the lower half here and lets the scan worker read the upper half at the same time, then
 * merges the worker's groups after its own (so groups and first rows are those of one pass in
 * key order). False when the statement does not qualify; nothing has been read then.
 */
async function parallelAggregate(svc: SqlServices, plan: SelectPlan, st: SelectStatement, params: readonly unknown[], table: GroupTable,
  addAll: (batches: Iterable<RecordData[]>) => Promise<void>): Promise<boolean> {
  const split = parallelSplit(svc, plan, st);
  if (!split) return false;
  const scan = svc.scan!;
  const path = plan.access;
  const def = plan.defs[0]!;
  const { span, mid } = split;
  const count = span ? { attribute: path.attribute!, probes: path.probes } : null;
  const upper = span ? { start: mid, end: span.end } : { start: mid };
  // The worker reads the table through its own storage handle: a drop waits until it is done.
  const release = svc.records.pin(def);
  const job = scan.worker.run({
    path: scan.path, nodeName: scan.nodeName, def, range: upper, count,
    sources: plan.scope.sources, params: [...params], pre: plan.preExpr,
    exprs: { post: plan.postExpr, groupBy: st.groupBy, aggregates: plan.scope.aggregates }, maxRows: svc.maxRows,
  }).finally(release);
  let met = 0;
  const lower = svc.records.recordBatches(def, span ? { start: span.start, end: mid } : { end: mid });
  await addAll(count ? counted(lower, count, (n) => { met += n; }) : lower);
  const done = await job;
  // The exact entry count of the probes: the worker takes it after its range, which it finishes first as a rule.
  let entries = done?.entries ?? 0;
  if (done) { table.merge(done.groups!); met += done.met ?? 0; }
  else {
    const rest = svc.records.recordBatches(def, upper);
    await addAll(count ? counted(rest, count, (n) => { met += n; }) : rest);
    if (span) entries = countEntries(svc.records, def, path.attribute!, path.probes);
  }
  // A span that met fewer index entries than the probes hold: fetch the keys outside it, as readPathBatches does.
  if (span && met < entries) await addAll(outsideSpan(svc.records, def, path.attribute!, path.probes, false, span));
  return true;
}

function* counted(batches: Iterable<RecordData[]>, c: { attribute: string; probes: Probe[] }, add: (n: number) => void): Generator<RecordData[]> {
  for (const b of batches) { add(entriesInBatch(b, c.attribute, c.probes)); yield b; }
}

function firstKey(batches: Iterable<RecordData[]>, def: TableDef): unknown {
  for (const b of batches) return b[0]?.[def.hashAttribute];
  return undefined;
}

function comparer(st: SelectStatement): (a: { keys: unknown[] }, b: { keys: unknown[] }) => number {
  const desc = st.orderBy.map((o) => o.descending);
  return (a, b) => {
    for (let i = 0; i < desc.length; i++) {
      const d = sortCompare(a.keys[i], b.keys[i]);
      if (d !== 0) return desc[i] ? -d : d;
    }
    return 0;
  };
}

function distinctRows<T extends { row: Out }>(rows: T[]): T[] {
  const seen = new Set<unknown>();
  return rows.filter((r) => { const k = groupKey(Object.values(r.row)); if (seen.has(k)) return false; seen.add(k); return true; });
}

function page<T>(rows: T[], offset: number, limit: number | undefined): T[] {
  return rows.slice(offset, limit === undefined ? undefined : offset + limit);
}
