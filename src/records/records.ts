/**
 * The data facade the operations and replication use: table lifecycle, record writes, reads,
 * searches and index building, over one storage engine, catalog and change log.
 */
import type { Catalog, TableDef } from '../catalog/catalog.js';
import { CREATED_TIME } from '../catalog/names.js';
import type { ChangeLog } from '../changelog/changelog.js';
import { hlcToMillis } from '../changelog/hlc.js';
import type { ChangeEntry, PrimaryKey, RecordData } from '../changelog/entry.js';
import { DbError } from '../errors/db-error.js';
import type { KvStore, StorageEngine } from '../storage/engine.js';
import { indexKeysOf, type IndexKey } from './index-keys.js';
import { indexCountInRange, indexEntries, indexEntryCount, indexKeysFor, indexNumberBounds, recordBatches, recordCountInRange, recordsInRange, type IndexEntry, type KeyRange } from './ranges.js';
import { queryBatches, runQuery, type QueryOptions } from './search.js';
import type { StoredRecord } from './stored.js';
import { timeBudget } from './slicer.js';
import { TableHandle } from './table-handle.js';
import { SPLIT_SLICE_MS, WRITE_CHUNK_ROWS, applyRemoteRecordInTxn, deleteRecords, finishRemoteWinsInTxn, prepareRecords, prepareRecordsSliced, writeRecords, type RemoteWin, type WriteDeps, type WriteMode, type WriteResult } from './writes.js';

/** An attribute dropped from a table whose records are still being rewritten (Records.dropAttribute). */
interface PendingStrip {
  database: string;
  table: string;
  attribute: string;
  /** Records written at or after this clock reading keep the attribute. */
  hlc: number;
}

export class Records {
  readonly engine: StorageEngine;
  readonly catalog: Catalog;
  readonly changelog: ChangeLog;
  readonly #handles = new Map<string, TableHandle>();
  /** Reads by other threads (the SQL scan worker) under way, per table id; a drop waits for them. */
  readonly #pins = new Map<string, { count: number; released: Promise<void>; release: () => void }>();
  /** Index builds in progress: `${table id}\0${attribute}` -> the build (ensureIndexed). */
  readonly #builds = new Map<string, Promise<void>>();
  readonly #deps: WriteDeps;
  /**
   * Work a stop may cut short, resumed by resumePending(): ['strip', table id, attribute] ->
   * the attribute still to remove from the records written before `hlc` (dropAttribute).
   */
  readonly #pending: KvStore<PendingStrip>;

  constructor(engine: StorageEngine, catalog: Catalog, changelog: ChangeLog) {
    this.engine = engine;
    this.catalog = catalog;
    this.changelog = changelog;
    this.#deps = { engine, catalog, changelog };
    this.#pending = engine.openStore<PendingStrip>('records:pending');
  }

  /** Stores of a table (throws 404 in HarperDB's words when it does not exist). */
  table(database: string, table: string): TableHandle {
    return this.handle(this.catalog.getTable(database, table));
  }

  handle(def: TableDef): TableHandle {
    let h = this.#handles.get(def.id);
    if (!h) {
      // A definition held across a drop must not open (and so create again) the dropped stores.
      if (this.catalog.findTable(def.database, def.name)?.id !== def.id) throw new DbError('NOT_FOUND', `Table '${def.database}.${def.name}' does not exist`);
      h = new TableHandle(this.engine, def);
      this.#handles.set(def.id, h);
    }
    return h;
  }

  createTable(database: string, name: string, hashAttribute: string, indexed: string[] = []): TableDef {
    const def = this.catalog.newTableDef(database, name, hashAttribute, indexed);
    this.engine.transactionSync(() => this.catalog.putTableInTxn(def));
    return def;
  }

  /** Creates a table if missing, inside the caller's transaction (replication). */
  ensureTableInTxn(database: string, name: string, hashAttribute: string): TableHandle {
    const existing = this.catalog.findTable(database, name);
    if (existing) return this.handle(existing);
    const def = this.catalog.newTableDef(database, name, hashAttribute);
    this.catalog.putTableInTxn(def);
    return this.handle(def);
  }

  /**
   * Keeps a table from being dropped while another thread reads it through its own storage handle
   * (the SQL scan worker): LMDB does not let one thread drop a database another one still reads.
   * A drop waits for every pin to be released. Returns the release (call it once).
   */
  pin(def: TableDef): () => void {
    let pin = this.#pins.get(def.id);
    if (!pin) {
      let release!: () => void;
      const released = new Promise<void>((resolve) => { release = resolve; });
      pin = { count: 0, released, release };
      this.#pins.set(def.id, pin);
    }
    pin.count++;
    const p = pin;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      if (--p.count === 0) {
        this.#pins.delete(def.id);
        p.release();
      }
    };
  }

  /** Resolves once no other thread reads the table (see pin). */
  async #unpinned(id: string): Promise<void> {
    for (let pin = this.#pins.get(id); pin; pin = this.#pins.get(id)) await pin.released;
  }

  async dropTable(database: string, name: string): Promise<void> {
    await this.#unpinned(this.catalog.getTable(database, name).id);
    const def = this.catalog.getTable(database, name);
    const h = this.handle(def);
    await this.engine.transaction(() => {
      this.catalog.removeTableInTxn(def);
      h.dropStores();
      this.changelog.forgetTableInTxn(database, name);
    });
    this.catalog.forgetTable(def);
    this.#handles.delete(def.id);
    // The table's change-log entries go in small transactions from here (a 1M-row log took 1.3 s
    // in the drop's own transaction, with every other request waiting).
    void this.changelog.purgeDropped();
  }

  async dropDatabase(database: string): Promise<void> {
    for (const def of this.catalog.tables(database)) await this.#unpinned(def.id);
    const tables = this.catalog.tables(database);
    await this.engine.transaction(() => {
      this.catalog.dropDatabaseInTxn(database);
      for (const def of tables) {
        this.handle(def).dropStores();
        this.changelog.forgetTableInTxn(database, def.name);
      }
    });
    for (const def of tables) this.#handles.delete(def.id);
    this.catalog.forgetDatabase(database);
    void this.changelog.purgeDropped();
  }

  async addAttribute(def: TableDef, attribute: string): Promise<void> {
    if (this.catalog.attributeSet(def).has(attribute)) throw new DbError('ALREADY_EXISTS', `Attribute '${attribute}' already exists in ${def.database}.${def.name}'`);
    await this.engine.transaction(() => this.catalog.addAttributesInTxn(def, [attribute]));
  }

  /**
   * Removes an attribute from the table definition, its index and every record (not logged).
   * The definition and the index go in one transaction; the records are rewritten in
   * time-bounded transactions after it (#inChunks; in one, a 1M-row table held every other request
   * for 2.4 s), and the call resolves when the last is done. Only records written before the
   * drop lose the attribute: one written meanwhile with the name again keeps it. A stop in the
   * middle is finished by resumePending() at the next start.
   */
  async dropAttribute(def: TableDef, attribute: string): Promise<void> {
    const h = this.handle(def);
    const mark: PendingStrip = { database: def.database, table: def.name, attribute, hlc: 0 };
    await this.engine.transaction(() => {
      if (def.indexed.includes(attribute) || h.isBuilding(attribute)) h.dropIndex(attribute);
      this.catalog.removeAttributeInTxn(def, attribute);
      mark.hlc = this.changelog.clock.tick();
      this.#pending.put(['strip', def.id, attribute], mark);
      h.hideDropped(attribute, mark.hlc);
    });
    await this.#strip(def.id, mark);
  }

  /** Finishes work a stop cut short (attributes still to strip); call once at start-up. */
  async resumePending(): Promise<void> {
    const marks: [string, PendingStrip][] = [];
    for (const { key, value } of this.#pending.getRange({ start: ['strip'], end: ['strip', '\uffff'] })) marks.push([(key as string[])[1]!, value]);
    // Readers stop seeing every pending attribute now, not only when its turn to be rewritten comes.
    for (const [id, mark] of marks) {
      const def = this.catalog.findTable(mark.database, mark.table);
      if (def?.id === id) this.handle(def).hideDropped(mark.attribute, mark.hlc);
    }
    for (const [id, mark] of marks) await this.#strip(id, mark);
  }

  async #strip(tableId: string, mark: PendingStrip): Promise<void> {
    const { attribute, hlc } = mark;
    const key = ['strip', tableId, attribute];
    const live = () => this.catalog.findTable(mark.database, mark.table)?.id === tableId;
    const start = this.catalog.findTable(mark.database, mark.table);
    if (!start || start.id !== tableId) {
      // The table was dropped: nothing left to rewrite.
      await this.engine.transaction(() => { if (this.#pending.get(key)?.hlc === hlc) this.#pending.remove(key); });
      return;
    }
    const h = this.handle(start);
    h.hideDropped(attribute, hlc);
    try {
      await this.#inChunks(h, () => {
        const current = this.#pending.get(key);
        if (!live() || current?.hlc !== hlc) {
          // Dropped meanwhile (or the attribute was dropped again, and that drop finishes the work).
          if (current?.hlc === hlc) this.#pending.remove(key);
          return null;
        }
        return (k, stored) => {
          if (stored[0] >= hlc || !(attribute in stored[2])) return;
          const { [attribute]: _removed, ...rest } = stored[2];
          h.data.put(k, [stored[0], stored[1], rest]);
        };
      }, () => this.#pending.remove(key));
    } finally {
      h.doneDropping(attribute, hlc);
    }
  }

  /**
   * Builds secondary indexes for attributes searched for the first time; resolves when they are
   * usable. The build reads the table in time-bounded transactions (#inChunks; in one, the first
   * search of a 1M-row table held every other request for 1.8 s): from its first transaction,
   * writes keep the new index up to date, and the last one marks it indexed, so readers use it
   * only complete. A build cut short (a stop, a failure) leaves the attribute unindexed; the next
   * search builds it again from an emptied store. Concurrent searches share one build.
   */
  async ensureIndexed(def: TableDef, attributes: Iterable<string>): Promise<void> {
    const missing = [...new Set(attributes)].filter((a) => a !== def.hashAttribute && !def.indexed.includes(a) && this.catalog.attributeSet(def).has(a));
    if (!missing.length) return;
    const waits: Promise<void>[] = [];
    const fresh: string[] = [];
    for (const a of missing) {
      const running = this.#builds.get(`${def.id}\u0000${a}`);
      if (running) waits.push(running);
      else fresh.push(a);
    }
    if (fresh.length) {
      const build = this.#buildIndexes(def, fresh);
      for (const a of fresh) this.#builds.set(`${def.id}\u0000${a}`, build);
      void build.catch(() => undefined).finally(() => { for (const a of fresh) this.#builds.delete(`${def.id}\u0000${a}`); });
      waits.push(build);
    }
    await Promise.all(waits);
  }

  async #buildIndexes(def: TableDef, attributes: string[]): Promise<void> {
    const h = this.handle(def);
    const live = () => this.catalog.findTable(def.database, def.name)?.id === def.id;
    try {
      await this.engine.transaction(() => {
        if (!live()) return;
        for (const a of attributes) { h.index(a).clear(); h.startBuilding(a); }
      });
      let attrs: string[] = [];
      await this.#inChunks(h, () => {
        attrs = attributes.filter((a) => h.isBuilding(a)); // not those dropped meanwhile
        if (!live() || !attrs.length) return null;
        return (key, stored) => { for (const a of attrs) for (const k of indexKeysOf(stored[2][a])) h.index(a).put(k, key); };
      }, () => { for (const a of attrs) { this.catalog.markIndexedInTxn(def, a); h.stopBuilding(a); } });
    } finally {
      for (const a of attributes) h.stopBuilding(a);
    }
  }

  /**
   * Visits a table's records in key order, in write transactions of at most SPLIT_SLICE_MS of
   * work (and WRITE_CHUNK_ROWS records), so a pass over a large table never holds the event loop
   * for long; it stops when the table is dropped. `chunk` runs first in each transaction and gives
   * that transaction's visitor, or null to stop; `finish` runs in the one that saw the last record.
   */
  async #inChunks(h: TableHandle, chunk: () => ((key: PrimaryKey, stored: StoredRecord) => void) | null, finish: () => void): Promise<void> {
    let after: PrimaryKey | undefined;
    for (let more = true; more;) {
      more = await this.engine.transaction((): boolean => {
        // Dropped since the last transaction: nothing left to visit.
        if (h.dropped) return false;
        const visit = chunk();
        if (!visit) return false;
        let n = 0;
        const spent = timeBudget(SPLIT_SLICE_MS);
        for (const { key, value } of h.data.getRange(after === undefined ? { snapshot: false } : { start: after, snapshot: false })) {
          if (key === after) continue;
          if (n >= WRITE_CHUNK_ROWS || spent(n++)) return true;
          after = key as PrimaryKey;
          visit(after, value);
        }
        finish();
        return false;
      });
    }
  }

  insert(def: TableDef, records: unknown, user: string | null): Promise<WriteResult> {
    return this.#write(this.handle(def), records, 'insert', user);
  }

  /** Checks every record, then writes them; a write that will be split is checked in slices too. */
  #write(h: TableHandle, records: unknown, mode: WriteMode, user: string | null, replace = false): Promise<WriteResult> {
    if (Array.isArray(records) && records.length > WRITE_CHUNK_ROWS) {
      return prepareRecordsSliced(h, records, mode).then((rows) => writeRecords(this.#deps, h, rows, mode, user, replace));
    }
    return writeRecords(this.#deps, h, prepareRecords(h, records, mode), mode, user, replace);
  }

  update(def: TableDef, records: unknown, user: string | null): Promise<WriteResult> {
    return this.#write(this.handle(def), records, 'update', user);
  }

  upsert(def: TableDef, records: unknown, user: string | null): Promise<WriteResult> {
    return this.#write(this.handle(def), records, 'upsert', user);
  }

  /** Upserts records, replacing (not merging) existing ones whole: HarperDB's REST PUT. */
  replace(def: TableDef, records: unknown, user: string | null): Promise<WriteResult> {
    return this.#write(this.handle(def), records, 'upsert', user, true);
  }

  delete(def: TableDef, keys: PrimaryKey[], user: string | null): Promise<WriteResult> {
    return deleteRecords(this.#deps, this.handle(def), keys, user);
  }

  /**
   * delete_records_before: removes this node's records created before a time, in one pass of
   * time-bounded transactions, without change-log entries or tombstones (a local trim, as in
   * HarperDB: it does not replicate).
   */
  async purgeCreatedBefore(def: TableDef, before: number): Promise<number> {
    const h = this.handle(def);
    let removed = 0;
    await this.#inChunks(h, () => (key, stored) => {
      const created = stored[2][CREATED_TIME];
      if (typeof created !== 'number' || created >= before) return;
      h.data.remove(key);
      h.updateIndexes(key, stored[2], undefined);
      removed++;
    }, () => undefined);
    return removed;
  }

  /**
   * delete_audit_logs_before: removes a table's change-log entries older than a time, but never
   * at or past `keepFrom` (the first position a consumer still needs). Returns what was removed
   * and how many old entries were kept for those consumers.
   */
  async trimLogBefore(def: TableDef, before: number, keepFrom: number): Promise<{ removed: number; kept: number }> {
    let through = 0, kept = 0;
    for (const e of this.changelog.readTable(def.database, def.name)) {
      if (hlcToMillis(e.hlc) >= before) break;
      if (e.seq >= keepFrom) kept++;
      else through = e.seq;
    }
    if (!through) return { removed: 0, kept };
    let removed = 0;
    for (;;) {
      const n = await this.engine.transaction(() => this.changelog.trimThrough(def.database, def.name, through, 20_000));
      removed += n;
      if (n < 20_000) return { removed, kept };
    }
  }

  /** The stored record (synchronous, no copy). */
  get(def: TableDef, key: PrimaryKey): RecordData | undefined {
    const h = this.handle(def);
    const stored = h.data.get(key);
    return stored && h.view(stored);
  }

  count(def: TableDef): number {
    return this.handle(def).data.getCount();
  }

  query(def: TableDef, q: QueryOptions): Promise<RecordData[]> {
    return runQuery(this.handle(def), q);
  }

  /** The same result in batches, read as they are consumed (streamed responses). */
  queryBatches(def: TableDef, q: QueryOptions): AsyncGenerator<RecordData[]> {
    return queryBatches(this.handle(def), q);
  }

  /** Records in primary-key order within a key range (planners: scans and key ranges). */
  recordsInRange(def: TableDef, range?: KeyRange): Iterable<RecordData> {
    return recordsInRange(this.handle(def), range);
  }

  /** The same records in arrays of up to `size` (one step per batch for tight per-row loops). */
  recordBatches(def: TableDef, range?: KeyRange, size?: number): Iterable<RecordData[]> {
    return recordBatches(this.handle(def), range, size);
  }

  /** True when the attribute is the primary key or has a secondary index. */
  isIndexed(def: TableDef, attribute: string): boolean {
    return attribute === def.hashAttribute || def.indexed.includes(attribute);
  }

  /** (value, primary key) pairs of a secondary index, in index order within a range. */
  indexEntries(def: TableDef, attribute: string, range?: KeyRange): Iterable<IndexEntry> {
    return indexEntries(this.handle(def), attribute, range);
  }

  /** Primary keys indexed under one value of a secondary index. */
  indexKeysFor(def: TableDef, attribute: string, value: IndexKey): Iterable<PrimaryKey> {
    return indexKeysFor(this.handle(def), attribute, value);
  }

  /** Entries of a secondary index (one per record and distinct value), O(1). */
  indexEntryCount(def: TableDef, attribute: string): number {
    return indexEntryCount(this.handle(def), attribute);
  }

  /** Records within a primary-key range (end exclusive), counted natively without decoding them. */
  recordCountInRange(def: TableDef, range: KeyRange): number {
    return recordCountInRange(this.handle(def), range);
  }

  /** Entries of a secondary index within a range (end exclusive), counted natively without decoding them. */
  indexCountInRange(def: TableDef, attribute: string, range: KeyRange): number {
    return indexCountInRange(this.handle(def), attribute, range);
  }

  /** Lowest and highest number in a secondary index (planner estimates), or null when it has none. */
  indexNumberBounds(def: TableDef, attribute: string): { min: number; max: number } | null {
    return indexNumberBounds(this.handle(def), attribute);
  }

  /** Every record of a table, in key order, with its version (initial replication sync). */
  *scanVersions(def: TableDef, afterKey?: PrimaryKey): Generator<{ key: PrimaryKey; hlc: number; origin: string; record: RecordData }> {
    const h = this.handle(def);
    // An explicit `start: undefined` makes the range begin at the store's shared-structures
    // entry (a Symbol key): leave it out, and skip any key that is not a primary key.
    for (const { key, value } of h.data.getRange(afterKey === undefined ? { snapshot: false } : { start: afterKey, snapshot: false })) {
      if (typeof key !== 'string' && typeof key !== 'number') continue;
      if (afterKey !== undefined && key === afterKey) continue;
      yield { key: key as PrimaryKey, hlc: value[0], origin: value[1], record: h.view(value) };
    }
  }

  /** Every tombstone of a table, in key order, with its version (sinks re-copying a table). */
  *scanTombstones(def: TableDef, afterKey?: PrimaryKey): Generator<{ key: PrimaryKey; hlc: number; origin: string }> {
    for (const { key, value } of this.handle(def).tombstones.getRange({ start: afterKey, snapshot: false })) {
      if ((afterKey !== undefined && key === afterKey) || typeof key === 'symbol') continue;
      yield { key: key as PrimaryKey, hlc: value[0], origin: value[1] };
    }
  }

  /**
   * Applies replicated entries in one transaction with extra work (e.g. the replication cursor)
   * done by `also` inside the same transaction. Missing tables are created with `hashOf`.
   */
  async applyRemote(entries: ChangeEntry[], hashOf: (database: string, table: string) => string, also?: () => void): Promise<number> {
    // Open the stores of existing tables before the write transaction: a store first opened
    // inside one cannot be read by anyone else (LMDB EINVAL, a 500 on a search) until it commits,
    // which happens when a restarted node's first access to a table is a replicated batch.
    for (let i = 0, db: string | undefined, name: string | undefined; i < entries.length; i++) {
      const e = entries[i]!;
      if (e.database === db && e.table === name) continue;
      db = e.database; name = e.table;
      const def = this.catalog.findTable(db, name);
      if (def) this.handle(def);
    }
    // Tables that got entries, with the log position of the last one (notified after commit).
    const touched = new Map<string, { id: string; database: string; table: string; lastSeq: number }>();
    let last: { id: string; database: string; table: string; lastSeq: number } | undefined;
    const applied = await this.engine.transaction(() => {
      const wins: RemoteWin[] = [];
      // Batches are per table in practice: resolve the table once per run of equal names.
      let db: string | undefined, name: string | undefined, h: TableHandle | undefined, attrs: Set<string> | undefined;
      for (const e of entries) {
        if (e.database !== db || e.table !== name || !h) {
          db = e.database; name = e.table;
          h = this.ensureTableInTxn(db, name, hashOf(db, name));
          attrs = this.catalog.attributeSet(h.def);
        }
        const win = applyRemoteRecordInTxn(this.#deps, h, e, attrs);
        if (win) wins.push(win);
      }
      const seqs = finishRemoteWinsInTxn(this.changelog, wins);
      const n = wins.length;
      for (let i = 0; i < n; i++) {
        const { table: t, entry: e } = wins[i]!;
        if (last?.id !== t.def.id) {
          last = touched.get(t.def.id) ?? { id: t.def.id, database: e.database, table: e.table, lastSeq: 0 };
          touched.set(t.def.id, last);
        }
        last.lastSeq = seqs[i]!;
      }
      if (n) this.changelog.savePosition();
      also?.();
      return n;
    });
    for (const { database, table, lastSeq } of touched.values()) this.changelog.notifyCommitted({ database, table, lastSeq });
    return applied;
  }
}
