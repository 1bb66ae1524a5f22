/**
 * Streaming aggregate accumulators: each input row updates its group's accumulators and is
 * dropped, so an aggregate holds one state per group, never the rows. One class for every
 * aggregate (a switch on its kind), so the per-row `add` call site stays monomorphic.
 */
import type { AggregateName } from './ast.js';
import { asNumber, groupKey, sortCompare } from './values.js';

export interface Accumulator {
  add(v: unknown): void;
  result(): unknown;
  /** The state, to be merged into the accumulator of the same group from another key range (not DISTINCT). */
  state(): AccState;
  /** Adds the state of the same aggregate over rows read elsewhere. */
  merge(s: AccState): void;
}

/** An accumulator's state as plain data (it crosses to and from the scan worker). */
export interface AccState { n: number; total: number; best: unknown }

const COUNT = 0, SUM = 1, AVG = 2, MAX = 3, MIN = 4;
const KINDS: Record<AggregateName, number> = { COUNT, SUM, AVG, MAX, MIN };

class Acc implements Accumulator {
  readonly kind: number;
  /** DISTINCT: the values met (by group key); null otherwise. */
  readonly seen: Set<unknown> | null;
  n = 0;
  total = 0;
  best: unknown = null;

  constructor(kind: number, distinct: boolean) {
    this.kind = kind;
    this.seen = distinct ? new Set() : null;
  }

  add(v: unknown): void {
    if (v === null || v === undefined) return;
    if (this.seen !== null) {
      const k = groupKey([v]);
      if (this.seen.has(k)) return;
      this.seen.add(k);
    }
    switch (this.kind) {
      case COUNT: this.n++; return;
      case SUM: case AVG: {
        const x = typeof v === 'number' ? v : asNumber(v);
        if (x !== undefined) { this.total += x; this.n++; }
        return;
      }
      case MAX: if (this.best === null || (typeof v === 'number' && typeof this.best === 'number' ? v > this.best : sortCompare(v, this.best) > 0)) this.best = v; return;
      default: if (this.best === null || (typeof v === 'number' && typeof this.best === 'number' ? v < this.best : sortCompare(v, this.best) < 0)) this.best = v;
    }
  }

  state(): AccState {
    return { n: this.n, total: this.total, best: this.best };
  }

  merge(s: AccState): void {
    if (this.seen !== null) throw new Error('DISTINCT aggregates are not merged');
    this.n += s.n;
    this.total += s.total;
    const b = s.best;
    if (b === null || b === undefined) return;
    if (this.kind === MAX) { if (this.best === null || sortCompare(b, this.best) > 0) this.best = b; }
    else if (this.kind === MIN) { if (this.best === null || sortCompare(b, this.best) < 0) this.best = b; }
  }

  result(): unknown {
    switch (this.kind) {
      case COUNT: return this.n;
      case SUM: return this.n ? this.total : null;
      case AVG: return this.n ? this.total / this.n : null;
      default: return this.best;
    }
  }
}

export function newAccumulator(name: AggregateName, distinct: boolean): Accumulator {
  return new Acc(KINDS[name], distinct);
}
