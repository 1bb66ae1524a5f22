/**
 * Expressions -> closures, compiled once per execution with the statement's literals bound.
 * Row scope reads a tuple of records (one per FROM/JOIN table, undefined for a missing LEFT
 * JOIN partner); group scope reads a group (its first row and its aggregate results).
 */
import { invalid } from '../errors/db-error.js';
import type { RecordData } from '../changelog/entry.js';
import { exprText, type Expr } from './ast.js';
import { functionFor } from './functions.js';
import { arithmetic, asNumber, compareWith, isNull, isNumericString, isTrue, likeToRegExp, not, sqlEquals } from './values.js';

export type Row = (RecordData | undefined)[];
export interface GroupRow { first: Row; values: unknown[] }
export type Compiled<T> = (x: T) => unknown;

export interface Source { alias: string; table: string; attributes: ReadonlySet<string> }

export class Scope {
  readonly sources: Source[];
  readonly params: readonly unknown[];
  /** Aggregates found while compiling group-scope expressions, in slot order. */
  readonly aggregates: Extract<Expr, { kind: 'agg' }>[] = [];

  constructor(sources: Source[], params: readonly unknown[]) {
    this.sources = sources;
    this.params = params;
  }

  /** Index of the table a column belongs to; 400 when unknown or ambiguous. */
  resolve(table: string | null, name: string): number {
    if (table !== null) {
      const i = this.sources.findIndex((s) => s.alias === table);
      if (i >= 0) return i;
      const j = this.sources.findIndex((s) => s.table === table);
      if (j >= 0) return j;
      throw invalid(`unknown table '${table}' in column '${table}.${name}'`);
    }
    if (this.sources.length === 1) return 0;
    const having = this.sources.flatMap((s, i) => (s.attributes.has(name) ? [i] : []));
    if (having.length === 1) return having[0]!;
    if (having.length > 1) throw invalid(`column '${name}' is ambiguous; qualify it with a table name or alias`);
    throw invalid(`unknown column '${name}'`);
  }

  /** Compiles for one input row. Aggregates are not allowed here. */
  row(e: Expr): Compiled<Row> {
    return this.#compile(e, columnReader, () => {
      throw invalid(`aggregate ${exprText(e, this.params)} is not allowed here (use it in the select list or HAVING)`);
    });
  }

  /** Compiles for a group: columns read the group's first row, aggregates their slot. */
  group(e: Expr): Compiled<GroupRow> {
    return this.#compile<GroupRow>(e, (i, name) => (g: GroupRow) => g.first[i]?.[name], (agg) => {
      const key = exprText(agg, this.params);
      let slot = this.aggregates.findIndex((a) => exprText(a, this.params) === key);
      if (slot < 0) { slot = this.aggregates.length; this.aggregates.push(agg); }
      const s = slot;
      return (g: GroupRow) => g.values[s];
    });
  }

  #compile<T>(e: Expr, col: (i: number, name: string) => Compiled<T>, agg: (a: Extract<Expr, { kind: 'agg' }>) => Compiled<T>): Compiled<T> {
    const c = (x: Expr): Compiled<T> => this.#compile(x, col, agg);
    switch (e.kind) {
      case 'lit': { const v = e.value; return () => v; }
      case 'param': { const v = this.params[e.index]; return () => v; }
      case 'col': return col(this.resolve(e.table, e.name), e.name);
      case 'agg': return agg(e);
      case 'not': { const f = c(e.expr); return (x) => not(f(x)); }
      case 'neg': { const f = c(e.expr); return (x) => { const v = f(x); return isNull(v) ? null : -(asNumber(v) ?? NaN); }; }
      case 'isnull': { const f = c(e.expr); return e.negated ? (x) => !isNull(f(x)) : (x) => isNull(f(x)); }
      case 'between': {
        const f = c(e.expr), lo = c(e.low), hi = c(e.high), neg = e.negated;
        const general = (x: T) => {
          const v = f(x), a = compareWith(v, lo(x), (d) => d >= 0), b = compareWith(v, hi(x), (d) => d <= 0);
          const r = a === false || b === false ? false : a === null || b === null ? null : true;
          return neg ? not(r) : r;
        };
        const kl = constantOf(e.low, this.params)?.value, kh = constantOf(e.high, this.params)?.value;
        if (typeof kl !== 'number' || typeof kh !== 'number') return general;
        // Constant number bounds: a number value compares directly (sqlCompare's a - b), others take the general rule.
        return neg
          ? (x) => { const v = f(x); return typeof v === 'number' ? !(v - kl >= 0 && v - kh <= 0) : general(x); }
          : (x) => { const v = f(x); return typeof v === 'number' ? v - kl >= 0 && v - kh <= 0 : general(x); };
      }
      case 'like': {
        const f = c(e.expr), neg = e.negated;
        const constant = e.pattern.kind === 'lit' || e.pattern.kind === 'param';
        const p = c(e.pattern);
        const fixed = constant ? (() => { const v = p(undefined as T); return isNull(v) ? null : likeToRegExp(String(v)); })() : undefined;
        return (x) => {
          const v = f(x);
          const re = fixed !== undefined ? fixed : (() => { const pv = p(x); return isNull(pv) ? null : likeToRegExp(String(pv)); })();
          if (isNull(v) || re === null) return null;
          const hit = Array.isArray(v) ? v.some((el) => !isNull(el) && re.test(String(el))) : re.test(typeof v === 'object' ? JSON.stringify(v) : String(v));
          return neg ? !hit : hit;
        };
      }
      case 'in': return this.#compileIn(e, c);
      case 'fn': {
        const impl = functionFor(e.name, e.args.length);
        const args = e.args.map(c);
        return (x) => impl(args.map((a) => a(x)));
      }
      case 'bin': {
        const l = c(e.left), r = c(e.right);
        switch (e.op) {
          case 'AND': return (x) => { const a = l(x); if (a !== null && a !== undefined && !isTrue(a)) return false; const b = r(x); if (b !== null && b !== undefined && !isTrue(b)) return false; return isNull(a) || isNull(b) ? null : true; };
          case 'OR': return (x) => { const a = l(x); if (isTrue(a)) return true; const b = r(x); if (isTrue(b)) return true; return isNull(a) || isNull(b) ? null : false; };
          case '=': return (x) => sqlEquals(l(x), r(x));
          case '<>': return (x) => not(sqlEquals(l(x), r(x)));
          case '<': return numberFast(l, constantOf(e.right, this.params), (d) => d < 0) ?? ((x) => compareWith(l(x), r(x), (d) => d < 0));
          case '<=': return numberFast(l, constantOf(e.right, this.params), (d) => d <= 0) ?? ((x) => compareWith(l(x), r(x), (d) => d <= 0));
          case '>': return numberFast(l, constantOf(e.right, this.params), (d) => d > 0) ?? ((x) => compareWith(l(x), r(x), (d) => d > 0));
          case '>=': return numberFast(l, constantOf(e.right, this.params), (d) => d >= 0) ?? ((x) => compareWith(l(x), r(x), (d) => d >= 0));
          case '||': return (x) => { const a = l(x), b = r(x); return isNull(a) || isNull(b) ? null : `${String(a)}${String(b)}`; };
          default: { const op = e.op; return (x) => arithmetic(op, l(x), r(x)); }
        }
      }
    }
  }

  #compileIn<T>(e: Extract<Expr, { kind: 'in' }>, c: (x: Expr) => Compiled<T>): Compiled<T> {
    const f = c(e.expr), neg = e.negated;
    const allConstant = e.list.every((x) => x.kind === 'lit' || x.kind === 'param');
    if (!allConstant) {
      const items = e.list.map(c);
      return (x) => {
        const v = f(x);
        let unknown = isNull(v);
        for (const it of items) { const r = sqlEquals(v, it(x)); if (r === true) return !neg; if (r === null) unknown = true; }
        return unknown ? null : neg;
      };
    }
    const values = e.list.map((x) => (x.kind === 'lit' ? x.value : this.params[(x as { index: number }).index]));
    const numbers = new Set<number>(), strings = new Set<string>(), numericStrings = new Set<number>();
    const others: unknown[] = [];
    let hasNull = false;
    for (const v of values) {
      if (isNull(v)) hasNull = true;
      else if (typeof v === 'number') numbers.add(v);
      else if (typeof v === 'string') { strings.add(v); if (isNumericString(v)) numericStrings.add(Number(v)); }
      else others.push(v);
    }
    const hit = (v: unknown): boolean => {
      if (typeof v === 'number') return numbers.has(v) || numericStrings.has(v);
      if (typeof v === 'string') return strings.has(v) || (isNumericString(v) && numbers.has(Number(v)));
      if (Array.isArray(v)) return v.some(hit);
      return others.some((o) => sqlEquals(v, o) === true);
    };
    return (x) => {
      const v = f(x);
      if (isNull(v)) return null;
      if (hit(v)) return !neg;
      return hasNull ? null : neg;
    };
  }
}

/**
 * `value <op> constant number`: a number value compares as sqlCompare does (a - b) without the
 * general path's calls; other values (strings, arrays, NULL) take it. Null when not a number constant.
 */
function numberFast<T>(l: Compiled<T>, k: { value: unknown } | undefined, test: (d: number) => boolean): Compiled<T> | null {
  const n = k?.value;
  if (typeof n !== 'number') return null;
  return (x) => { const v = l(x); return typeof v === 'number' ? test(v - n) : compareWith(v, n, test); };
}

/** Most column readers kept (one per table position and attribute name seen). */
const READERS_MAX = 10_000;
const readers = new Map<string, Compiled<Row>>();

/**
 * Reads one attribute of one table of a row: `r[i]?.[name]`. Each (position, name) gets its own
 * function, so its property load stays monomorphic (one shared closure for every attribute
 * makes the load megamorphic); the name is embedded as a JSON string literal.
 */
function columnReader(i: number, name: string): Compiled<Row> {
  const key = `${i}:${name}`;
  let f = readers.get(key);
  if (!f) {
    if (readers.size >= READERS_MAX) readers.clear();
    f = new Function('r', `const t = r[${i}]; return t === undefined || t === null ? undefined : t[${JSON.stringify(name)}];`) as Compiled<Row>;
    readers.set(key, f);
  }
  return f;
}

/** The constant value of a literal or parameter expression, or undefined when it is not constant. */
export function constantOf(e: Expr, params: readonly unknown[]): { value: unknown } | undefined {
  if (e.kind === 'lit') return { value: e.value };
  if (e.kind === 'param') return { value: params[e.index] };
  if (e.kind === 'neg') { const v = constantOf(e.expr, params); const n = v ? asNumber(v.value) : undefined; return n === undefined ? undefined : { value: -n }; }
  return undefined;
}
