/**
 * FerryDB's own statement form, translated from the parser's AST (translate.ts). Literals are
 * parameters (`param`, index into the statement's literal list), so one translated statement
 * serves every statement that differs only in its literals.
 */

export type BinaryOp = '=' | '<>' | '<' | '<=' | '>' | '>=' | 'AND' | 'OR' | '+' | '-' | '*' | '/' | '%' | '||';
export const AGGREGATES = ['COUNT', 'SUM', 'AVG', 'MIN', 'MAX'] as const;
export type AggregateName = (typeof AGGREGATES)[number];

export type Expr =
  | { kind: 'lit'; value: unknown }
  | { kind: 'param'; index: number }
  | { kind: 'col'; table: string | null; name: string }
  | { kind: 'bin'; op: BinaryOp; left: Expr; right: Expr }
  | { kind: 'not'; expr: Expr }
  | { kind: 'neg'; expr: Expr }
  | { kind: 'in'; expr: Expr; list: Expr[]; negated: boolean }
  | { kind: 'between'; expr: Expr; low: Expr; high: Expr; negated: boolean }
  | { kind: 'like'; expr: Expr; pattern: Expr; negated: boolean }
  | { kind: 'isnull'; expr: Expr; negated: boolean }
  | { kind: 'fn'; name: string; args: Expr[] }
  | { kind: 'agg'; name: AggregateName; arg: Expr | null; distinct: boolean };

export interface TableRef {
  database: string;
  table: string;
  /** Name used to qualify columns: the alias, else the table name. */
  alias: string;
}

export interface JoinClause extends TableRef {
  type: 'inner' | 'left';
  on: Expr;
}

export type SelectItem =
  | { kind: 'star'; table: string | null }
  | { kind: 'expr'; expr: Expr; alias: string | null };

export interface OrderItem {
  expr: Expr;
  descending: boolean;
}

export interface SelectStatement {
  type: 'select';
  distinct: boolean;
  columns: SelectItem[];
  from: TableRef;
  joins: JoinClause[];
  where: Expr | null;
  groupBy: Expr[];
  having: Expr | null;
  orderBy: OrderItem[];
  limit: Expr | null;
  offset: Expr | null;
}

export interface InsertStatement {
  type: 'insert';
  into: TableRef;
  columns: string[];
  rows: Expr[][];
}

export interface UpdateStatement {
  type: 'update';
  table: TableRef;
  set: { column: string; value: Expr }[];
  where: Expr | null;
}

export interface DeleteStatement {
  type: 'delete';
  table: TableRef;
  where: Expr | null;
}

export type DataStatement = SelectStatement | InsertStatement | UpdateStatement | DeleteStatement;
export type Statement = DataStatement | { type: 'explain'; statement: DataStatement };

/** SQL text of an expression, used to name unaliased result columns (`COUNT(*)`, `UPPER(name)`). */
export function exprText(e: Expr, params: readonly unknown[]): string {
  switch (e.kind) {
    case 'lit': return e.value === null ? 'NULL' : String(e.value);
    case 'param': { const v = params[e.index]; return typeof v === 'string' ? `'${v}'` : String(v); }
    case 'col': return e.table ? `${e.table}.${e.name}` : e.name;
    case 'bin': return `${exprText(e.left, params)} ${e.op} ${exprText(e.right, params)}`;
    case 'not': return `NOT ${exprText(e.expr, params)}`;
    case 'neg': return `-${exprText(e.expr, params)}`;
    case 'in': return `${exprText(e.expr, params)}${e.negated ? ' NOT' : ''} IN (${e.list.map((x) => exprText(x, params)).join(', ')})`;
    case 'between': return `${exprText(e.expr, params)}${e.negated ? ' NOT' : ''} BETWEEN ${exprText(e.low, params)} AND ${exprText(e.high, params)}`;
    case 'like': return `${exprText(e.expr, params)}${e.negated ? ' NOT' : ''} LIKE ${exprText(e.pattern, params)}`;
    case 'isnull': return `${exprText(e.expr, params)} IS${e.negated ? ' NOT' : ''} NULL`;
    case 'fn': return `${e.name}(${e.args.map((x) => exprText(x, params)).join(', ')})`;
    case 'agg': return `${e.name}(${e.distinct ? 'DISTINCT ' : ''}${e.arg ? exprText(e.arg, params) : '*'})`;
  }
}
