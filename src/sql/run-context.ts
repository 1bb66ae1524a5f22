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

/** 400 once a statement would return or hold more rows than sql.maxRows. */
export function checkHeld(n: number, max: number, what: string): void {
  if (n > max) throw invalid(`the statement would ${what} more than ${max} rows (setting sql.maxRows); add a LIMIT or a narrower WHERE`);
}
