/**
 * The state of a streaming aggregate: one group per GROUP BY key, holding the group's first
 * row and its accumulators. Rows are added one by one; the groups of a later key range, read
 * by the scan worker, are merged in (a group met first there keeps that range's first row, so
 * the result is the one a single pass in key order gives).
 */
import type { RecordData } from '../changelog/entry.js';
import type { Expr } from './ast.js';
import { newAccumulator, type AccState, type Accumulator } from './aggregates.js';
import type { Compiled, Row, Scope } from './compile.js';
import { checkHeld } from './run-context.js';
import { groupKey, isTrue } from './values.js';

type AggExpr = Extract<Expr, { kind: 'agg' }>;
interface Group { first: Row; accs: Accumulator[] }

/** Most string group values remembered for the allocation-free lookup (more only take the keyed path). */
const BY_STRING_MAX = 100_000;

/** One group as plain data: key, the first row's record (one table), accumulator states. */
export type ExportedGroup = [key: unknown, first: RecordData | undefined, states: AccState[]];

/** What a grouped aggregate computes per row, as expressions (plain data: it is sent to the scan worker). */
export interface AggregateExprs {
  post: Expr | null;
  groupBy: Expr[];
  aggregates: AggExpr[];
}

export class GroupTable {
  readonly groups = new Map<unknown, Group>();
  readonly #byString = new Map<string, Group>();
  readonly #aggs: AggExpr[];
  readonly #groupBy: Compiled<Row>[];
  readonly #args: Compiled<Row>[];
  readonly #post: Compiled<Row> | null;
  readonly #maxRows: number;

  constructor(scope: Scope, post: Compiled<Row> | null, groupBy: Expr[], maxRows: number) {
    this.#aggs = scope.aggregates;
    this.#groupBy = groupBy.map((g) => scope.row(g));
    this.#args = this.#aggs.map((a) => (a.arg ? scope.row(a.arg) : () => 1));
    this.#post = post;
    this.#maxRows = maxRows;
  }

  #fresh(t: Row): Group {
    return { first: t.slice(), accs: this.#aggs.map((a) => newAccumulator(a.name, a.distinct)) };
  }

  #insert(key: unknown, g: Group): void {
    this.groups.set(key, g);
    checkHeld(this.groups.size, this.#maxRows, 'hold (groups)');
  }

  /** Adds one row (dropped unless the post-join WHERE holds). */
  add(t: Row): void {
    if (this.#post && !isTrue(this.#post(t))) return;
    const groupBy = this.#groupBy;
    let key: unknown = 0;
    let g: Group | undefined;
    if (groupBy.length === 1) {
      const v = groupBy[0]!(t);
      // A string value finds its group without building its key (no allocation per row).
      if (typeof v === 'string') g = this.#byString.get(v);
      if (!g) key = typeof v === 'number' ? v : groupKey([v]);
    } else if (groupBy.length > 1) key = groupKey(groupBy.map((f) => f(t)));
    if (!g) {
      g = this.groups.get(key);
      if (!g) { g = this.#fresh(t); this.#insert(key, g); }
      if (this.#byString.size < BY_STRING_MAX && groupBy.length === 1) { const v = groupBy[0]!(t); if (typeof v === 'string') this.#byString.set(v, g); }
    }
    const args = this.#args;
    for (let i = 0; i < args.length; i++) g.accs[i]!.add(args[i]!(t));
  }

  /** One group for an aggregate without GROUP BY over no rows. */
  ensureSingle(): void {
    if (this.#groupBy.length === 0 && this.groups.size === 0) this.groups.set(0, this.#fresh([]));
  }

  export(): ExportedGroup[] {
    return [...this.groups].map(([k, g]) => [k, g.first[0], g.accs.map((a) => a.state())]);
  }

  /** Merges the groups of a key range read after this table's rows. */
  merge(groups: ExportedGroup[]): void {
    for (const [key, first, states] of groups) {
      let g = this.groups.get(key);
      if (!g) { g = this.#fresh([first]); this.#insert(key, g); }
      for (let i = 0; i < states.length; i++) g.accs[i]!.merge(states[i]!);
    }
  }
}
