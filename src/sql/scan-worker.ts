/**
 * Worker thread that aggregates one primary-key range of a table for a statement whose other
 * range the main thread reads (parallel-scan.ts). It opens the node's storage itself (LMDB
 * environments are shared between a process's threads) and reads records only: it never writes.
 */
import { parentPort } from 'node:worker_threads';
import type { TableDef } from '../catalog/catalog.js';
import type { KeyRange } from '../records/ranges.js';
import type { Records } from '../records/records.js';
import { openRecordsView, type RecordsView } from '../records/thread-view.js';
import { countEntries, entriesInBatch, type Probe } from './access.js';
import { Scope, type Source } from './compile.js';
import { GroupTable, type AggregateExprs, type ExportedGroup } from './group-table.js';
import { isTrue } from './values.js';

export interface ScanJob {
  id: number;
  /** The LMDB environment's directory. */
  path: string;
  nodeName: string;
  def: TableDef;
  range: KeyRange;
  /**
   * Span reads count the entries of this attribute within the probes they meet; after its range the worker also
   * takes the exact entry count of the probes (off the main thread's critical path).
   */
  count: { attribute: string; probes: Probe[] } | null;
  sources: Source[];
  params: unknown[];
  pre: AggregateExprs['post'];
  exprs: AggregateExprs;
  maxRows: number;
}

export interface ScanResult { id: number; groups?: ExportedGroup[]; met?: number; entries?: number; rows?: number; error?: string }

let opened: { path: string; view: RecordsView } | null = null;

function recordsAt(path: string, nodeName: string): Records {
  if (opened?.path === path) return opened.view.records;
  if (opened) void opened.view.close();
  opened = { path, view: openRecordsView(path, nodeName) };
  return opened.view.records;
}

function run(job: ScanJob): ScanResult {
  const records = recordsAt(job.path, job.nodeName);
  const scope = new Scope(job.sources, job.params);
  // Compiled in the order the main thread compiled them, so the aggregate slots match.
  for (const a of job.exprs.aggregates) scope.group(a);
  const pre = job.pre ? scope.row(job.pre) : null;
  const post = job.exprs.post ? scope.row(job.exprs.post) : null;
  const table = new GroupTable(scope, post, job.exprs.groupBy, job.maxRows);
  const t: (Record<string, unknown> | undefined)[] = [undefined];
  let met = 0, rows = 0;
  for (const batch of records.recordBatches(job.def, job.range)) {
    if (job.count) met += entriesInBatch(batch, job.count.attribute, job.count.probes);
    rows += batch.length;
    for (let i = 0; i < batch.length; i++) {
      t[0] = batch[i];
      if (pre && !isTrue(pre(t))) continue;
      table.add(t);
    }
  }
  const entries = job.count ? countEntries(records, job.def, job.count.attribute, job.count.probes) : 0;
  return { id: job.id, groups: table.export(), met, entries, rows };
}

parentPort?.on('message', (msg: ScanJob | { close: true }) => {
  if ('close' in msg) {
    const o = opened;
    opened = null;
    void (o ? o.view.close() : Promise.resolve()).finally(() => parentPort!.close());
    return;
  }
  try {
    parentPort!.postMessage(run(msg));
  } catch (err) {
    parentPort!.postMessage({ id: msg.id, error: String((err as Error)?.message ?? err) });
  }
});
