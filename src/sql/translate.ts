/**
 * node-sql-parser's AST -> FerryDB's statement form (ast.ts). Everything the dialect does not
 * support is refused here with a 400 naming the construct, so the planner and executor only
 * see what they implement.
 */
import { invalid } from '../errors/db-error.js';
import { AGGREGATES, type AggregateName, type BinaryOp, type DataStatement, type Expr, type JoinClause, type OrderItem, type SelectItem, type SelectStatement, type Statement, type TableRef } from './ast.js';
import { isKnownFunction } from './functions.js';

type Node = Record<string, any>;

const unsupported = (what: string) => invalid(`unsupported SQL: ${what}`);

const BINARY: Record<string, BinaryOp> = {
  '=': '=', '<>': '<>', '!=': '<>', '<': '<', '<=': '<=', '>': '>', '>=': '>=',
  AND: 'AND', '&&': 'AND', OR: 'OR', '+': '+', '-': '-', '*': '*', '/': '/', '%': '%', '||': '||',
};

export function translate(ast: unknown, paramCount: number): Statement {
  if (Array.isArray(ast)) {
    if (ast.length !== 1) throw unsupported('more than one statement per request');
    ast = ast[0];
  }
  const node = ast as Node;
  const t = new Translator(paramCount);
  if (node?.type === 'explain') return { type: 'explain', statement: t.statement(node.expr) };
  return t.statement(node);
}

class Translator {
  readonly #paramCount: number;

  constructor(paramCount: number) {
    this.#paramCount = paramCount;
  }

  statement(node: Node): DataStatement {
    switch (node?.type) {
      case 'select': return this.select(node);
      case 'insert': return this.insert(node);
      case 'replace': throw unsupported('REPLACE (use INSERT, UPDATE or the upsert operation)');
      case 'update': return this.update(node);
      case 'delete': return this.remove(node);
      default: throw unsupported(`${String(node?.type ?? 'this statement').toUpperCase()} statements (only SELECT, INSERT, UPDATE, DELETE and EXPLAIN are supported)`);
    }
  }

  select(node: Node): SelectStatement {
    if (node._next || node.set_op || node.union) throw unsupported('UNION');
    if (node.with) throw unsupported('WITH (common table expressions)');
    if (node.window) throw unsupported('WINDOW');
    if (node.into?.position) throw unsupported('SELECT ... INTO');
    if (!Array.isArray(node.from) || node.from.length === 0) throw unsupported('SELECT without FROM');
    const [first, ...rest] = node.from as Node[];
    const from = this.tableRef(first!);
    if (first!.join) throw unsupported(`${first!.join} on the first table`);
    const joins: JoinClause[] = rest.map((j) => {
      const kind = String(j.join ?? '').toUpperCase();
      if (!kind) throw unsupported('comma-separated tables (write INNER JOIN ... ON)');
      const type = kind === 'INNER JOIN' || kind === 'JOIN' ? 'inner' : kind === 'LEFT JOIN' || kind === 'LEFT OUTER JOIN' ? 'left' : null;
      if (!type) throw unsupported(kind);
      if (j.using) throw unsupported('JOIN ... USING (write ON a.x = b.x)');
      if (!j.on) throw unsupported(`${kind} without ON`);
      return { ...this.tableRef(j), type, on: this.expr(j.on) };
    });
    const columns: SelectItem[] = (node.columns as Node[] | '*').length === undefined || node.columns === '*'
      ? [{ kind: 'star', table: null }]
      : (node.columns as Node[]).map((c) => this.selectItem(c));
    const groupNodes: Node[] = Array.isArray(node.groupby) ? node.groupby : (node.groupby?.columns ?? []);
    const orderBy: OrderItem[] = (node.orderby ?? []).map((o: Node) => ({ expr: this.orderExpr(o.expr, columns), descending: String(o.type ?? '').toUpperCase() === 'DESC' }));
    const groupBy = groupNodes.map((g) => this.orderExpr(g, columns));
    let limit: Expr | null = null, offset: Expr | null = null;
    const lv: Node[] = node.limit?.value ?? [];
    if (lv.length) {
      if (node.limit.seperator === ',') { offset = this.expr(lv[0]!); limit = this.expr(lv[1]!); }
      else { limit = this.expr(lv[0]!); if (lv[1]) offset = this.expr(lv[1]); }
    }
    return {
      type: 'select', distinct: Boolean(node.distinct), columns, from, joins,
      where: node.where ? this.expr(node.where) : null,
      groupBy, having: node.having ? this.expr(node.having) : null, orderBy, limit, offset,
    };
  }

  /** ORDER BY / GROUP BY: a number is a 1-based position in the select list; a bare name may be an alias. */
  orderExpr(node: Node, columns: SelectItem[]): Expr {
    if (node?.type === 'number') {
      const item = columns[Number(node.value) - 1];
      if (!item || item.kind !== 'expr') throw invalid(`ORDER BY/GROUP BY position ${String(node.value)} is not an expression in the select list`);
      return item.expr;
    }
    const e = this.expr(node);
    if (e.kind === 'col' && !e.table) {
      const aliased = columns.find((c) => c.kind === 'expr' && c.alias === e.name);
      if (aliased && aliased.kind === 'expr' && !(aliased.expr.kind === 'col' && aliased.expr.name === e.name)) return aliased.expr;
    }
    return e;
  }

  selectItem(c: Node): SelectItem {
    const e = c.expr as Node;
    if (e?.type === 'column_ref' && columnName(e) === '*') return { kind: 'star', table: ident(e.table) };
    if (e?.type === 'star') return { kind: 'star', table: null };
    return { kind: 'expr', expr: this.expr(e), alias: typeof c.as === 'string' ? c.as : c.as ? ident(c.as) : null };
  }

  tableRef(n: Node): TableRef {
    if (n.expr) throw unsupported('subqueries in FROM');
    if (typeof n.table !== 'string') throw unsupported('this table reference');
    const database = ident(n.db) ?? 'data';
    return { database, table: n.table, alias: (typeof n.as === 'string' ? n.as : ident(n.as)) ?? n.table };
  }

  insert(node: Node): DataStatement {
    const into = this.tableRef(node.table?.[0] ?? {});
    if (node.on_duplicate_update) throw unsupported('ON DUPLICATE KEY UPDATE');
    const columns: string[] = (node.columns ?? []).map((c: unknown) => (typeof c === 'string' ? c : ident(c) ?? columnName(c as Node)));
    if (!columns.length) throw invalid('INSERT needs a column list: INSERT INTO db.table (col, ...) VALUES (...)');
    const valuesNode = node.values;
    const list: Node[] = Array.isArray(valuesNode) ? valuesNode : valuesNode?.type === 'values' ? valuesNode.values : null;
    if (!list) throw unsupported('INSERT ... SELECT');
    const rows = list.map((r, i) => {
      const vals = (r.value ?? []) as Node[];
      if (vals.length !== columns.length) throw invalid(`INSERT row ${i + 1} has ${vals.length} values for ${columns.length} columns`);
      return vals.map((v) => this.expr(v));
    });
    return { type: 'insert', into, columns, rows };
  }

  update(node: Node): DataStatement {
    if ((node.table ?? []).length !== 1 || node.from) throw unsupported('UPDATE of several tables');
    if (node.orderby || node.limit) throw unsupported('UPDATE ... ORDER BY/LIMIT');
    const table = this.tableRef(node.table[0]);
    const set = (node.set as Node[]).map((s) => ({ column: String(s.column), value: this.expr(s.value) }));
    return { type: 'update', table, set, where: node.where ? this.expr(node.where) : null };
  }

  remove(node: Node): DataStatement {
    if ((node.from ?? []).length !== 1) throw unsupported('DELETE from several tables');
    if (node.orderby || node.limit) throw unsupported('DELETE ... ORDER BY/LIMIT');
    return { type: 'delete', table: this.tableRef(node.from[0]), where: node.where ? this.expr(node.where) : null };
  }

  expr(n: Node): Expr {
    switch (n?.type) {
      case 'param': {
        const m = /^p(\d+)$/.exec(String(n.value));
        const index = m ? Number(m[1]) : -1;
        if (index < 0 || index >= this.#paramCount) throw unsupported('statement parameters');
        return { kind: 'param', index };
      }
      case 'number': return { kind: 'lit', value: Number(n.value) };
      case 'bigint': return { kind: 'lit', value: Number(n.value) };
      case 'bool': return { kind: 'lit', value: Boolean(n.value) };
      case 'null': return { kind: 'lit', value: null };
      case 'single_quote_string': case 'double_quote_string': case 'string': case 'natural_string':
        return { kind: 'lit', value: String(n.value) };
      case 'column_ref': {
        const name = columnName(n);
        if (name === '*') throw unsupported(`'*' inside an expression`);
        if (n.db) throw unsupported(`three-part column name '${ident(n.db)}.${ident(n.table)}.${name}'`);
        return { kind: 'col', table: ident(n.table), name };
      }
      case 'binary_expr': return this.binary(n);
      case 'unary_expr': {
        const op = String(n.operator).toUpperCase();
        if (op === '-') return { kind: 'neg', expr: this.expr(n.expr) };
        if (op === '+') return this.expr(n.expr);
        if (op === 'NOT' || op === '!') return { kind: 'not', expr: this.expr(n.expr) };
        throw unsupported(`operator '${op}'`);
      }
      case 'aggr_func': return this.aggregate(n);
      case 'function': {
        const name = functionName(n);
        const args: Node[] = n.args?.value ?? (n.args ? [n.args] : []);
        if (name === 'NOT') return { kind: 'not', expr: this.expr(args[0]!) };
        if ((AGGREGATES as readonly string[]).includes(name)) return this.aggregate({ name, args: { expr: args[0] } });
        if (!isKnownFunction(name)) throw unsupported(`function '${name}'`);
        if (n.over) throw unsupported('window functions (OVER)');
        return { kind: 'fn', name, args: args.map((a) => this.expr(a)) };
      }
      case 'expr_list': {
        const v = n.value as Node[];
        if (v.length === 1 && !v[0]?.ast) return this.expr(v[0]!);
        if (v.some((x) => x?.ast)) throw unsupported('subqueries');
        throw unsupported('a list of values here');
      }
      case 'cast': throw unsupported('CAST');
      case 'case': throw unsupported('CASE');
      case 'interval': throw unsupported('INTERVAL');
      case 'origin': throw unsupported(`'${String(n.value)}'`);
      default:
        if (n?.ast) throw unsupported('subqueries');
        throw unsupported(String(n?.type ?? 'this expression'));
    }
  }

  aggregate(n: Node): Expr {
    const name = String(n.name).toUpperCase() as AggregateName;
    if (!(AGGREGATES as readonly string[]).includes(name)) throw unsupported(`aggregate '${name}'`);
    if (n.over) throw unsupported('window functions (OVER)');
    let a = n.args?.expr as Node | undefined;
    if (a && !a.type && a.expr) a = a.expr as Node; // some forms wrap the argument as {expr, as}
    const star = !a || a.type === 'star' || (a.type === 'column_ref' && columnName(a) === '*');
    if (star && name !== 'COUNT') throw invalid(`${name}(*) is not valid; name a column`);
    return { kind: 'agg', name, arg: star ? null : this.expr(a!), distinct: Boolean(n.args?.distinct) };
  }

  binary(n: Node): Expr {
    const op = String(n.operator).toUpperCase();
    const left = () => this.expr(n.left);
    switch (op) {
      case 'BETWEEN': case 'NOT BETWEEN': {
        const [lo, hi] = n.right.value as Node[];
        return { kind: 'between', expr: left(), low: this.expr(lo!), high: this.expr(hi!), negated: op !== 'BETWEEN' };
      }
      case 'IN': case 'NOT IN': {
        const list = (n.right?.value ?? []) as Node[];
        if (n.right?.type !== 'expr_list' || list.some((x) => x?.ast)) throw unsupported('IN (subquery)');
        return { kind: 'in', expr: left(), list: list.map((x) => this.expr(x)), negated: op === 'NOT IN' };
      }
      case 'LIKE': case 'NOT LIKE': case 'ILIKE': case 'NOT ILIKE':
        if (n.right?.type === 'escape' || n.escape) throw unsupported('LIKE ... ESCAPE');
        return { kind: 'like', expr: left(), pattern: this.expr(n.right), negated: op.startsWith('NOT') };
      case 'IS': case 'IS NOT':
        if (n.right?.type !== 'null') throw unsupported(`${op} ${String(n.right?.value ?? n.right?.type ?? '').toUpperCase()} (only IS [NOT] NULL)`);
        return { kind: 'isnull', expr: left(), negated: op === 'IS NOT' };
      default: {
        const bop = BINARY[op];
        if (!bop) throw unsupported(`operator '${op}'`);
        return { kind: 'bin', op: bop, left: left(), right: this.expr(n.right) };
      }
    }
  }
}

function ident(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v;
  const o = v as Node;
  if (typeof o.value === 'string') return o.value;
  if (o.expr) return ident(o.expr);
  return null;
}

function columnName(n: Node): string {
  const c = n.column;
  if (typeof c === 'string') return c;
  return ident(c) ?? String(c);
}

function functionName(n: Node): string {
  const parts = n.name?.name as Node[] | undefined;
  if (Array.isArray(parts)) return parts.map((p) => String(p.value)).join('.').toUpperCase();
  return String(n.name).toUpperCase();
}
