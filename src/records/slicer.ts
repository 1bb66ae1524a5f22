/**
 * Time slicing for long loops on the main thread (SQL statements, large searches): count rows,
 * and once a slice of time is used up, give the event loop back before going on.
 */
/** Milliseconds a long loop (a query, the checks of a large write) runs before it gives the event loop back (as SQL's default sql.sliceMs). */
export const SLICE_MS = 5;

/**
 * A time budget for a loop that cannot yield (inside one write transaction): the check says true
 * once `ms` have passed, looking at the clock every 64 steps and never before step 63 (every
 * transaction makes progress).
 */
export function timeBudget(ms: number): (step: number) => boolean {
  const started = performance.now();
  return (step) => (step & 63) === 63 && performance.now() - started > ms;
}

/**
 * The items that `keep` accepts, from the `offset`-th to before the `end`-th of them, through
 * `map`, in arrays of up to `size`, giving the event loop back once `slicer`'s slice is used up.
 * Only one array is held at a time (a streamed result of any size).
 */
export async function* pagedBatches<T, O>(items: Iterable<T>, keep: (item: T) => boolean, map: (item: T) => O, offset: number, end: number, slicer: Slicer, size: number): AsyncGenerator<O[]> {
  if (end <= offset) return;
  let batch: O[] = [];
  let passed = 0;
  for (const item of items) {
    const pause = slicer.tick(); if (pause) await pause;
    if (!keep(item) || passed++ < offset) continue;
    batch.push(map(item));
    if (passed >= end) break;
    if (batch.length === size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length) yield batch;
}

const yieldNow = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Counts the rows a loop touches and yields to the event loop once a slice is used up. */
export class Slicer {
  readonly #sliceMs: number;
  #start = performance.now();
  #n = 0;
  /** How many times the loop gave the event loop back (tests and EXPLAIN ANALYZE-style figures). */
  yields = 0;

  constructor(sliceMs: number) {
    this.#sliceMs = sliceMs;
  }

  /** Call once per batch of n rows (n may be 0); await only when it returns a promise. */
  tickMany(n: number): Promise<void> | undefined {
    this.#n += n;
    if (this.#n < 256 && n > 0) return undefined;
    this.#n = 0;
    if (performance.now() - this.#start < this.#sliceMs) return undefined;
    this.yields++;
    return yieldNow().then(() => { this.#start = performance.now(); });
  }

  /** Call once per row; await only when it returns a promise (every 256 rows at most). */
  tick(): Promise<void> | undefined {
    if ((++this.#n & 255) !== 0) return undefined;
    if (performance.now() - this.#start < this.#sliceMs) return undefined;
    this.yields++;
    return yieldNow().then(() => { this.#start = performance.now(); });
  }
}

