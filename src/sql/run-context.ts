/** What one statement runs with: the caller, the data, its limits and its time slicing. */
import type { User } from '../auth/users.js';
import type { Catalog } from '../catalog/catalog.js';
import { invalid } from '../errors/db-error.js';
import type { Records } from '../records/records.js';
import type { ScanWorker } from './parallel-scan.js';

export interface SqlServices {
  records: Records;
  catalog: Catalog;
  user: User;
  maxRows: number;
  sliceMs: number;
  /** Aggregates reading at least this many rows split their key range with the scan worker (0: never). */
  parallelMinRows?: number;
  /** The scan worker and the storage it opens (absent: no parallel scans). */
  scan?: { worker: ScanWorker; path: string; nodeName: string };
}

const yieldNow = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Counts the rows a statement touches and yields to the event loop once a slice is used up. */
export class Slicer {
  readonly #sliceMs: number;
  #start = performance.now();
  #n = 0;
  /** How many times the statement gave the event loop back (tests and EXPLAIN ANALYZE-style figures). */
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

/** 400 once a statement would return or hold more rows than sql.maxRows. */
export function checkHeld(n: number, max: number, what: string): void {
  if (n > max) throw invalid(`the statement would ${what} more than ${max} rows (setting sql.maxRows); add a LIMIT or a narrower WHERE`);
}
