/**
 * Record writes. Each call validates everything first, then runs one batched LMDB transaction
 * that changes the records, their indexes, the catalog's attribute list and the change log
 * together. Nothing inside the transaction callback throws after the first write.
 */
import { randomUUID } from 'node:crypto';
import type { Catalog } from '../catalog/catalog.js';
import { CREATED_TIME, UPDATED_TIME, checkAttributeName, isValidPrimaryKey } from '../catalog/names.js';
import type { ChangeLog } from '../changelog/changelog.js';
import type { ChangeEntry, PrimaryKey, RecordData } from '../changelog/entry.js';
import { isNewer } from '../changelog/hlc.js';
import { invalid } from '../errors/db-error.js';
import type { StorageEngine } from '../storage/engine.js';
import { SLICE_MS, Slicer, timeBudget } from './slicer.js';
import type { TableHandle } from './table-handle.js';

export interface WriteResult {
  written: PrimaryKey[];
  skipped: PrimaryKey[];
  newAttributes: string[];
  txnTime: number;
  /** Log position of the last entry this write appended (0 when nothing was written). */
  lastSeq: number;
}

export interface WriteDeps {
  engine: StorageEngine;
  catalog: Catalog;
  changelog: ChangeLog;
}

export type WriteMode = 'insert' | 'update' | 'upsert';

/**
 * Most rows one write transaction takes. A transaction's callback holds the event loop (an
 * UPDATE of 300,000 rows in one held every other request for 1.5 s), so a larger write commits
 * in several transactions, in order, one after another; each is atomic and replicates whole,
 * and the write answers after the last. Replication batches (2,000 rows) and bulk-load chunks
 * (1,000) stay in one transaction.
 */
export const WRITE_CHUNK_ROWS = 5000;

/**
 * Milliseconds of work one transaction of a split write does before it commits and lets the
 * event loop go on (a transaction stops early at that point, up to WRITE_CHUNK_ROWS rows). With
 * a fixed 5,000 rows a split transaction held the loop 18-36 ms; smaller transactions cost more
 * commits (LMDB copies a touched page again in every transaction that writes to it).
 */
export const SPLIT_SLICE_MS = 8;

/** One transaction of a write: takes items from `from` on, within `budgetMs` when set; says where it stopped. */
type Chunk<T> = (items: T[], from: number, budgetMs: number | null) => Promise<WriteResult & { next: number }>;

/** Runs a write in one transaction, or (above WRITE_CHUNK_ROWS) in time-bounded ones, and adds up the results. */
async function inChunks<T>(items: T[], write: Chunk<T>): Promise<WriteResult> {
  if (items.length <= WRITE_CHUNK_ROWS) return write(items, 0, null);
  const all: WriteResult = { written: [], skipped: [], newAttributes: [], txnTime: 0, lastSeq: 0 };
  for (let i = 0; i < items.length;) {
    const r = await write(items, i, SPLIT_SLICE_MS);
    for (const k of r.written) all.written.push(k);
    for (const k of r.skipped) all.skipped.push(k);
    for (const a of r.newAttributes) all.newAttributes.push(a);
    all.txnTime ||= r.txnTime;
    if (r.lastSeq) all.lastSeq = r.lastSeq;
    i = r.next;
  }
  return all;
}

/**
 * First thing in a write's transaction, before any write: the table may have been dropped since
 * the request found it (a split write yields between its transactions, and its checks between
 * slices). Its answer is then HarperDB's for a write into a missing table.
 */
function assertLive(table: TableHandle): void {
  if (table.dropped) throw invalid(`Table '${table.def.database}.${table.def.name}' does not exist`);
}

/** Where a chunk starting at `from` ends, and a check that says when its time is used up. */
function chunkBounds(length: number, from: number, budgetMs: number | null): { end: number; over: (i: number) => boolean } {
  const end = Math.min(length, from + WRITE_CHUNK_ROWS);
  if (budgetMs === null) return { end, over: () => false };
  const spent = timeBudget(budgetMs);
  return { end, over: (i) => spent(i - from) };
}

/**
 * Checks a batch of records and returns them keyed; throws a 400 naming the first bad one.
 * The record objects are taken over (keys and time stamps are set on them, never deleted, so
 * they keep their fast shape).
 */
export function prepareRecords(table: TableHandle, records: unknown, mode: WriteMode): [PrimaryKey, RecordData][] {
  if (!Array.isArray(records)) throw invalid(`'records' must be an array`);
  const out: [PrimaryKey, RecordData][] = [];
  prepareRange(table, records, mode, 0, records.length, new Set<string>(table.def.attributes), out);
  return out;
}

/**
 * The same checks for a write that will be split (more than WRITE_CHUNK_ROWS records), giving
 * the event loop back every few ms: checking 300,000 records at once held it about 100 ms.
 * Every record is still checked before anything is written.
 */
export async function prepareRecordsSliced(table: TableHandle, records: unknown[], mode: WriteMode): Promise<[PrimaryKey, RecordData][]> {
  const out: [PrimaryKey, RecordData][] = [];
  const known = new Set<string>(table.def.attributes);
  const slicer = new Slicer(SLICE_MS);
  for (let i = 0; i < records.length; i += 1000) {
    prepareRange(table, records, mode, i, Math.min(records.length, i + 1000), known, out);
    const pause = slicer.tickMany(1000); if (pause) await pause;
  }
  return out;
}

function prepareRange(table: TableHandle, records: unknown[], mode: WriteMode, from: number, to: number, known: Set<string>, out: [PrimaryKey, RecordData][]): void {
  const hash = table.def.hashAttribute;
  for (let i = from; i < to; i++) {
    const rec = records[i] as unknown;
    if (rec === null || typeof rec !== 'object' || Array.isArray(rec)) throw invalid(`'records[${i}]' must be of type object`);
    const data = rec as RecordData;
    let key = data[hash];
    if (key === undefined || key === null || key === '') {
      if (mode === 'update') throw invalid('a valid hash attribute must be provided with update record');
      key = randomUUID();
      data[hash] = key;
    } else if (key === 'null' || key === 'undefined') {
      throw invalid(`"${key}" is not a valid hash attribute value`);
    } else if (!isValidPrimaryKey(key) || (typeof key === 'string' && Buffer.byteLength(key) > 1000)) {
      throw invalid(`record ${i}: primary key '${hash}' must be a string or number (at most 1000 bytes)`);
    }
    for (const name in data) if (!known.has(name)) { checkAttributeName(name, `record ${i} attribute`); known.add(name); }
    out.push([key as PrimaryKey, data]);
  }
}

function pick(record: RecordData, attributes: readonly string[]): RecordData {
  const out: RecordData = {};
  for (const a of attributes) out[a] = record[a];
  return out;
}

/**
 * insert, update or upsert prepared records; one transaction per WRITE_CHUNK_ROWS rows, one
 * change-log entry per row (the entries of a transaction share a txn id). With `replace` an
 * existing record is replaced whole (REST PUT) instead of merged.
 */
export function writeRecords(deps: WriteDeps, table: TableHandle, rows: [PrimaryKey, RecordData][], mode: WriteMode, user: string | null, replace = false): Promise<WriteResult> {
  return inChunks(rows, (all, from, budgetMs) => writeChunk(deps, table, all, from, budgetMs, mode, user, replace));
}

async function writeChunk(deps: WriteDeps, table: TableHandle, rows: [PrimaryKey, RecordData][], from: number, budgetMs: number | null, mode: WriteMode, user: string | null, replace: boolean): Promise<WriteResult & { next: number }> {
  const { engine, catalog, changelog } = deps;
  const def = table.def;
  const result = await engine.transaction((): WriteResult & { next: number } => {
    assertLive(table);
    const { end, over } = chunkBounds(rows.length, from, budgetMs);
    const now = Date.now();
    const written: PrimaryKey[] = [];
    const skipped: PrimaryKey[] = [];
    const attrs = catalog.attributeSet(def);
    const newNames = new Set<string>();
    const origin = changelog.nodeName;
    const indexed = table.maintained;
    // One pass per B-tree (records, then indexes, then the log): the pages a bulk write adds to
    // each store are allocated together, so a later scan of the table (or a sender reading the
    // log) touches runs of its own pages, and the kernel's fault-around (64 KB around each page
    // read) maps few of the other stores' neighbours. Interleaved, a full scan mapped the whole file.
    const hlcs: number[] = [];
    const stored: RecordData[] = [];
    const befores: (RecordData | undefined)[] = [];
    let next = end;
    for (let i = from; i < end; i++) {
      if (over(i)) { next = i; break; }
      const [key, data] = rows[i]!;
      const current = table.record(key);
      if ((mode === 'insert' && current) || (mode === 'update' && !current)) { skipped.push(key); continue; }
      let record: RecordData;
      let before: RecordData | undefined;
      if (current) {
        if (indexed.length) before = pick(current[2], indexed);
        const created = current[2][CREATED_TIME] ?? now;
        // merge: given attributes change, the rest stay (replace: only the given ones remain)
        record = replace ? data : Object.assign(table.view(current), data);
        record[CREATED_TIME] = created;
      } else {
        record = data;
        record[CREATED_TIME] = now;
      }
      record[UPDATED_TIME] = now;
      for (const name in record) if (!attrs.has(name)) newNames.add(name);
      const hlc = changelog.clock.tick();
      table.putVersion(key, hlc, origin, record);
      written.push(key); hlcs.push(hlc); stored.push(record);
      if (indexed.length) befores.push(before);
    }
    // In row order, so a key written twice in one call moves its index entries twice, as it did.
    if (indexed.length) for (let i = 0; i < written.length; i++) table.updateIndexes(written[i]!, befores[i], stored[i]);
    let lastSeq = 0;
    let txn = 0; // seq of this transaction's first entry (read_audit_log groups by it)
    for (let i = 0; i < written.length; i++) {
      lastSeq = changelog.append(def.database, def.name, hlcs[i]!, origin, 0, mode, written[i]!, stored[i]!, user, txn);
      txn ||= lastSeq;
    }
    const newAttributes = newNames.size ? catalog.addAttributesInTxn(def, newNames) : [];
    if (written.length) changelog.savePosition();
    return { written, skipped, newAttributes, txnTime: now, lastSeq, next };
  });
  if (result.lastSeq) changelog.notifyCommitted({ database: def.database, table: def.name, lastSeq: result.lastSeq });
  return result;
}

/**
 * Deletes keys (one transaction per WRITE_CHUNK_ROWS keys); keeps a tombstone per deleted key so
 * late older writes cannot resurrect it.
 */
export function deleteRecords(deps: WriteDeps, table: TableHandle, keys: PrimaryKey[], user: string | null): Promise<WriteResult> {
  return inChunks(keys, (all, from, budgetMs) => deleteChunk(deps, table, all, from, budgetMs, user));
}

async function deleteChunk(deps: WriteDeps, table: TableHandle, keys: PrimaryKey[], from: number, budgetMs: number | null, user: string | null): Promise<WriteResult & { next: number }> {
  const { engine, changelog } = deps;
  const def = table.def;
  const result = await engine.transaction((): WriteResult & { next: number } => {
    assertLive(table);
    const { end, over } = chunkBounds(keys.length, from, budgetMs);
    let next = end;
    const written: PrimaryKey[] = [];
    const skipped: PrimaryKey[] = [];
    let lastSeq = 0;
    let txn = 0;
    for (let i = from; i < end; i++) {
      if (over(i)) { next = i; break; }
      const key = keys[i]!;
      const current = table.data.get(key);
      if (!current) { skipped.push(key); continue; }
      const hlc = changelog.clock.tick();
      table.data.remove(key);
      table.putTombstone(key, [hlc, changelog.nodeName]);
      table.updateIndexes(key, current[2], undefined);
      lastSeq = changelog.append(def.database, def.name, hlc, changelog.nodeName, 0, 'delete', key, null, user, txn);
      txn ||= lastSeq;
      written.push(key);
    }
    if (written.length) changelog.savePosition();
    return { written, skipped, newAttributes: [], txnTime: Date.now(), lastSeq, next };
  });
  if (result.lastSeq) changelog.notifyCommitted({ database: def.database, table: def.name, lastSeq: result.lastSeq });
  return result;
}

/** A replicated entry that won last-writer-wins; its index change and log entry are still to write. */
export interface RemoteWin {
  table: TableHandle;
  entry: ChangeEntry;
  /** The record it replaced (undefined when there was none). */
  before: RecordData | undefined;
}

/**
 * Applies one replicated entry's record (or tombstone) inside the caller's transaction, by
 * last-writer-wins on (hlc, origin) against the stored record or tombstone. Returns the work
 * left for a winner (null when it lost, or was already applied, and nothing changed): pass a
 * batch's winners, in order, to finishRemoteWinsInTxn.
 */
export function applyRemoteRecordInTxn(deps: WriteDeps, table: TableHandle, entry: ChangeEntry, attrs = deps.catalog.attributeSet(table.def)): RemoteWin | null {
  const { catalog, changelog } = deps;
  const current = table.record(entry.key);
  const version = current ?? table.tombstone(entry.key);
  changelog.clock.observe(entry.hlc);
  if (version && !isNewer(entry.hlc, entry.origin, version[0], version[1])) return null;
  if (entry.op === 'delete' || entry.record === null) {
    if (current) table.data.remove(entry.key);
    table.putTombstone(entry.key, [entry.hlc, entry.origin]);
  } else {
    const record = entry.record;
    table.putVersion(entry.key, entry.hlc, entry.origin, record);
    if (!current && version) table.tombstones.remove(entry.key);
    let fresh: string[] | undefined;
    for (const name in record) if (!attrs.has(name)) (fresh ??= []).push(name);
    if (fresh) catalog.addAttributesInTxn(table.def, fresh);
  }
  return { table, entry, before: current?.[2] };
}

/**
 * The index pass, then the log pass, for the winners of a batch (one pass per B-tree, as in
 * writeRecords). A winner is re-logged with its origin and origin seq so it flows on to this
 * node's other subscribers. Returns each winner's new local log position, in order.
 */
export function finishRemoteWinsInTxn(changelog: ChangeLog, wins: RemoteWin[]): number[] {
  for (const { table, entry, before } of wins) {
    if (table.maintained.length) table.updateIndexes(entry.key, before, entry.op === 'delete' || entry.record === null ? undefined : entry.record);
  }
  const seqs: number[] = [];
  for (const { entry: e } of wins) seqs.push(changelog.append(e.database, e.table, e.hlc, e.origin, e.originSeq, e.op, e.key, e.record, e.user));
  return seqs;
}
