/**
 * The records of a node's storage opened from another thread of the same process (the SQL scan
 * worker): LMDB environments are shared between a process's threads, so this view reads what
 * the node has committed. Meant for reading; the catalog and change log are opened only because
 * Records needs them.
 */
import { Catalog } from '../catalog/catalog.js';
import { ChangeLog } from '../changelog/changelog.js';
import { openLmdbEngine } from '../storage/lmdb-engine.js';
import { Records } from './records.js';

export interface RecordsView {
  records: Records;
  close(): Promise<void>;
}

/** Opens the records stored under `path` (the node's `<rootPath>/database`). */
export function openRecordsView(path: string, nodeName: string): RecordsView {
  const engine = openLmdbEngine({ path });
  return { records: new Records(engine, new Catalog(engine), new ChangeLog(engine, nodeName)), close: () => engine.close() };
}
