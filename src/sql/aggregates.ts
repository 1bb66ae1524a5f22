/**
 * Streaming aggregate accumulators: each input row updates its group's accumulators and is
 * dropped, so an aggregate holds one state per group, never the rows.
 */
import type { AggregateName } from './ast.js';
import { asNumber, groupKey, isNull, sortCompare } from './values.js';

export interface Accumulator {
  add(v: unknown): void;
  result(): unknown;
}

class Count implements Accumulator {
  n = 0;
  add(v: unknown): void { if (!isNull(v)) this.n++; }
  result(): unknown { return this.n; }
}

class Sum implements Accumulator {
  total = 0;
  seen = false;
  add(v: unknown): void { const n = asNumber(v); if (n !== undefined) { this.total += n; this.seen = true; } }
  result(): unknown { return this.seen ? this.total : null; }
}

class Avg implements Accumulator {
  total = 0;
  n = 0;
  add(v: unknown): void { const x = asNumber(v); if (x !== undefined) { this.total += x; this.n++; } }
  result(): unknown { return this.n ? this.total / this.n : null; }
}

class Extreme implements Accumulator {
  best: unknown = null;
  readonly sign: number;
  constructor(sign: number) { this.sign = sign; }
  add(v: unknown): void { if (!isNull(v) && (this.best === null || sortCompare(v, this.best) * this.sign > 0)) this.best = v; }
  result(): unknown { return this.best; }
}

class Distinct implements Accumulator {
  readonly seen = new Set<unknown>();
  readonly inner: Accumulator;
  constructor(inner: Accumulator) { this.inner = inner; }
  add(v: unknown): void {
    if (isNull(v)) return;
    const k = groupKey([v]);
    if (this.seen.has(k)) return;
    this.seen.add(k);
    this.inner.add(v);
  }
  result(): unknown { return this.inner.result(); }
}

export function newAccumulator(name: AggregateName, distinct: boolean): Accumulator {
  const base: Accumulator = name === 'COUNT' ? new Count() : name === 'SUM' ? new Sum() : name === 'AVG' ? new Avg() : new Extreme(name === 'MAX' ? 1 : -1);
  return distinct ? new Distinct(base) : base;
}
