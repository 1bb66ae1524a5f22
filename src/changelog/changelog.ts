/**
 * The per-node change log. Every committed write appends here inside the same LMDB
 * transaction as the data, so the log and the tables can never disagree. Replication reads
 * it from durable cursors; read_audit_log / read_transaction_log expose it.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { KvStore, StorageEngine } from '../storage/engine.js';
import { CHANGE_OP_CODES, decodeEntry, type ChangeEntry, type ChangeOp, type EntryKey, type PrimaryKey, type RecordData, type StoredEntry } from './entry.js';
import { HybridClock } from './hlc.js';

const MAX_SEQ = Number.MAX_SAFE_INTEGER;
/** Every CHECKPOINT-th entry of a table records its ordinal, so counts need at most this many steps. */
const CHECKPOINT = 1024;
/** Meta key of the dropped tables whose entries are still being removed: [database, table, through][]. */
const DROPPED = 'dropped';
/** Entries of a dropped table removed per transaction (about 8 ms of the event loop each). */
const PURGE_CHUNK = 5000;

/** A table's key in this module's maps. */
const tableKey = (database: string, table: string) => `${database}\u0000${table}`;

/** Per-table figures behind O(log n) counts: entries ever appended and entries trimmed (a prefix). */
interface TableCount {
  database: string;
  table: string;
  appended: number;
  trimmed: number;
  dirty: boolean;
}

/** Emitted after the transaction holding new entries is committed. */
export interface CommitEvent {
  database: string;
  table: string;
  lastSeq: number;
}

export class ChangeLog {
  readonly clock: HybridClock;
  readonly nodeName: string;
  /**
   * Identity of this log, made once when the data directory is new. A peer that sees it change
   * knows this node started over (its data was lost or replaced) and that every position it
   * kept for it is meaningless now.
   */
  readonly logId: string;
  readonly #log: KvStore<StoredEntry>;
  readonly #meta: KvStore<number>;
  /** [database, table, seq] -> ordinal of that entry within its table (every CHECKPOINT-th). */
  readonly #ordinals: KvStore<number>;
  readonly #counts = new Map<string, TableCount>();
  #dirty: TableCount[] = [];
  #last: TableCount | null = null;
  readonly #events = new EventEmitter();
  /**
   * Consumers other than replication peers that must not lose entries to ack-based trimming
   * (e.g. sinks): name -> the highest position they have durably consumed for a table, or
   * undefined when they do not read that table. Retention never trims past the lowest of these
   * (age and count limits still apply, and are then reported as a forced trim).
   */
  readonly holders = new Map<string, (database: string, table: string) => number | undefined>();
  #seq: number;
  /** Tables whose entries could not be appended (a later table sorts after them in the log). */
  readonly #noAppend = new Set<string>();
  /**
   * Tables dropped while they had entries: tableKey(database, table) -> the position through which
   * the log may still hold entries of the dropped incarnation(s). Every read of the table starts
   * above it, so a table created again under the same name never sees them, and purgeDropped()
   * removes them in small transactions (a drop does not stop the node for a 10M-row log).
   */
  readonly #dropped = new Map<string, number>();
  #purging: Promise<void> | null = null;
  #stopPurge = false;
  /** Called with an error that stopped purgeDropped() (it is tried again at the next drop or start). */
  onPurgeError: (err: unknown) => void = () => undefined;
  readonly #engine: StorageEngine;
  readonly #key: EntryKey = ['', '', 0];
  readonly #value: StoredEntry = [0, '', 0, 0, 0, null, null];

  constructor(engine: StorageEngine, nodeName: string, clock = new HybridClock()) {
    this.nodeName = nodeName;
    this.clock = clock;
    this.#engine = engine;
    this.#log = engine.openStore<StoredEntry>('changelog', { structures: true });
    this.#meta = engine.openStore<number>('changelog:meta');
    this.#ordinals = engine.openStore<number>('changelog:ordinals');
    this.#seq = this.#meta.get('seq') ?? 0;
    this.clock.observe(this.#meta.get('hlc') ?? 0);
    this.#events.setMaxListeners(0);
    // The meta store holds numbers, and this one string.
    const meta = this.#meta as KvStore<unknown>;
    const id = meta.get('logId');
    this.logId = typeof id === 'string' ? id : randomUUID();
    if (id !== this.logId) engine.transactionSync(() => meta.put('logId', this.logId));
    for (const [database, table, through] of this.#droppedList()) this.#dropped.set(tableKey(database, table), through);
  }

  #droppedList(): [string, string, number][] {
    const list = (this.#meta as KvStore<unknown>).get(DROPPED);
    return Array.isArray(list) ? (list as [string, string, number][]) : [];
  }

  /** Entries of a table at or below this position belong to a dropped incarnation (0: none). */
  #floor(database: string, table: string): number {
    return this.#dropped.size === 0 ? 0 : (this.#dropped.get(tableKey(database, table)) ?? 0);
  }

  /**
   * A table is being dropped: call inside the drop's transaction. Its entries stop being visible
   * at once (and its counters are forgotten, so a table created again under the name starts
   * from nothing); purgeDropped(), after the commit, removes them in small transactions. The
   * trimmed-through position moves to the table's last entry, as if it had been trimmed.
   */
  forgetTableInTxn(database: string, table: string): void {
    const last = this.lastSeq(database, table);
    if (last > this.trimmedThrough(database, table)) this.#meta.put(['trimmed', database, table], last);
    this.#forgetCounts(database, table);
    if (!last) return;
    // Every entry of the table has a position at or below the newest handed out.
    this.#dropped.set(tableKey(database, table), this.#seq);
    const list = this.#droppedList().filter(([d, t]) => d !== database || t !== table);
    list.push([database, table, this.#seq]);
    (this.#meta as KvStore<unknown>).put(DROPPED, list);
  }

  /** Forgets a table's counters and checkpoints (a drop, or everything trimmed); inside a transaction. */
  #forgetCounts(database: string, table: string): void {
    for (const key of this.#ordinals.getKeys({ start: [database, table, 0], end: [database, table, MAX_SEQ], snapshot: false })) this.#ordinals.remove(key);
    this.#meta.remove(['appended', database, table]);
    this.#meta.remove(['trimmedCount', database, table]);
    const k = tableKey(database, table);
    const c = this.#counts.get(k);
    this.#counts.delete(k);
    if (c) this.#dirty = this.#dirty.filter((d) => d !== c);
    if (this.#last === c) this.#last = null;
  }

  /**
   * Removes the entries of dropped tables (forgetTableInTxn), PURGE_CHUNK per transaction, until
   * none is left; resolves then, and never rejects (errors go to onPurgeError). Call after a drop
   * commits and once at start-up (a purge cut short by a restart continues). Concurrent calls
   * share one run.
   */
  purgeDropped(): Promise<void> {
    if (this.#purging) return this.#purging;
    if (this.#stopPurge) return Promise.resolve();
    const run = (async () => {
      try {
        for (let next = this.#droppedList()[0]; next && !this.#stopPurge; next = this.#droppedList()[0]) {
          const [database, table, through] = next;
          await this.#engine.transaction(() => {
            let n = 0;
            for (const key of this.#log.getKeys({ start: [database, table, 0], end: [database, table, through + 1], snapshot: false })) {
              if (n++ >= PURGE_CHUNK) return;
              this.#log.remove(key);
            }
            // All gone: forget the mark (a later drop of the same name may have raised it).
            const list = this.#droppedList();
            const rest = list.filter(([d, t, s]) => d !== database || t !== table || s !== through);
            (this.#meta as KvStore<unknown>).put(DROPPED, rest);
            if (rest.length === list.length) return;
            const k = tableKey(database, table);
            if (this.#dropped.get(k) === through) this.#dropped.delete(k);
          });
        }
      } catch (err) {
        this.onPurgeError(err);
      } finally {
        this.#purging = null;
      }
    })();
    this.#purging = run;
    return run;
  }

  /** Stops purgeDropped() after its current transaction (before the storage closes); resolves then. */
  async stopPurge(): Promise<void> {
    this.#stopPurge = true;
    await this.#purging;
  }

  /**
   * Appends one entry and returns its seq; call inside the write transaction that changes the
   * data. Positional arguments keep the per-row hot path free of object copies. Pass the seq
   * returned for a transaction's first entry as `txn` for its later entries. `originSeq` 0 means
   * "none given": a local write takes its own seq; a replicated row without one (a snapshot row
   * of a resync) keeps 0, never this node's position, which would mean nothing in the origin's
   * log (issue 8: relayed on, it made a hub skip the origin's later rows).
   */
  append(database: string, table: string, hlc: number, origin: string, originSeq: number, op: ChangeOp, key: PrimaryKey, record: RecordData | null, user: string | null, txn = 0): number {
    // Counters first: a table seen for the first time is counted before this entry exists.
    const c = this.#last && this.#last.table === table && this.#last.database === database ? this.#last : this.#count(database, table);
    this.#last = c;
    const seq = ++this.#seq;
    const ordinal = ++c.appended;
    if (!c.dirty) { c.dirty = true; this.#dirty.push(c); }
    if (ordinal % CHECKPOINT === 0) this.#ordinals.put([database, table, seq], ordinal);
    // One key and one value array for every entry: the store encodes them before put returns.
    const k = this.#key, v = this.#value;
    k[0] = database; k[1] = table; k[2] = seq;
    v[0] = hlc; v[1] = origin; v[2] = originSeq || (origin === this.nodeName ? seq : 0); v[3] = CHANGE_OP_CODES[op]; v[4] = key; v[5] = record; v[6] = user;
    // txn: the seq of the first entry of the same write transaction (absent on that first entry)
    if (txn) v[7] = txn;
    else if (v.length > 7) v.length = 7;
    // seq grows, so the entry sorts last unless another table's entries sort after this table's
    if (this.#noAppend.size === 0 || !this.#noAppend.has(tableKey(database, table))) {
      if (this.#log.append(k, v)) { v[5] = null; return seq; }
      this.#noAppend.add(tableKey(database, table));
    }
    this.#log.put(k, v);
    v[5] = null; // keep no reference to the record
    return seq;
  }

  /** The table's counters, loaded once (an older log without them is counted once). */
  #count(database: string, table: string): TableCount {
    const k = tableKey(database, table);
    let c = this.#counts.get(k);
    if (!c) {
      const appended = this.#meta.get(['appended', database, table]);
      if (appended === undefined) {
        c = { database, table, appended: this.#scanCount(database, table, 0, MAX_SEQ), trimmed: 0, dirty: true };
        this.#dirty.push(c);
      } else {
        c = { database, table, appended, trimmed: this.#meta.get(['trimmedCount', database, table]) ?? 0, dirty: false };
      }
      this.#counts.set(k, c);
    }
    return c;
  }

  /** Persists the log position; call once at the end of every transaction that appended. */
  savePosition(): void {
    this.#meta.put('seq', this.#seq);
    this.#meta.put('hlc', this.clock.last);
    for (const c of this.#dirty) {
      this.#meta.put(['appended', c.database, c.table], c.appended);
      this.#meta.put(['trimmedCount', c.database, c.table], c.trimmed);
      c.dirty = false;
    }
    this.#dirty = [];
  }

  /** Entries of one table after a position, in log order. */
  *readAfter(database: string, table: string, afterSeq: number, limit = Infinity): Generator<ChangeEntry> {
    let n = 0;
    const from = Math.max(afterSeq, this.#floor(database, table)) + 1;
    for (const { key, value } of this.#log.getRange({ start: [database, table, from], end: [database, table, MAX_SEQ], snapshot: false })) {
      if (n++ >= limit) return;
      yield decodeEntry(key as EntryKey, value);
    }
  }

  /**
   * Visits up to `limit` entries of one table after a position, in log order, with the stored
   * value as it is (no ChangeEntry built: for consumers reading many entries, e.g. sinks). The
   * value array and its record belong to the caller. Returns how many entries were visited.
   */
  scanAfter(database: string, table: string, afterSeq: number, limit: number, visit: (seq: number, value: StoredEntry) => void): number {
    let n = 0;
    const from = Math.max(afterSeq, this.#floor(database, table)) + 1;
    for (const { key, value } of this.#log.getRange({ start: [database, table, from], end: [database, table, MAX_SEQ], limit, snapshot: false })) {
      visit((key as EntryKey)[2], value);
      n++;
    }
    return n;
  }

  /** Entries of one table, newest first when reverse is set. */
  *readTable(database: string, table: string, options: { reverse?: boolean; limit?: number } = {}): Generator<ChangeEntry> {
    // Reverse ranges exclude their end: both bounds leave out a dropped incarnation's entries.
    const floor = this.#floor(database, table);
    const start: EntryKey = [database, table, options.reverse ? MAX_SEQ : floor + 1];
    const end: EntryKey = [database, table, options.reverse ? floor : MAX_SEQ];
    for (const { key, value } of this.#log.getRange({ start, end, reverse: options.reverse, limit: options.limit, snapshot: false })) {
      yield decodeEntry(key as EntryKey, value);
    }
  }

  /**
   * Number of entries of a table after a position (a peer's backlog), in O(log n): the
   * table's appended and trimmed totals and the nearest ordinal checkpoint at or below the
   * position, plus at most CHECKPOINT entries counted one by one.
   */
  countAfter(database: string, table: string, afterSeq: number): number {
    // The stored totals are the committed ones (the in-memory ones run ahead while a write
    // transaction commits); a table logged before they existed is counted the slow way.
    const appended = this.#meta.get(['appended', database, table]);
    if (appended === undefined) return this.#scanCount(database, table, afterSeq + 1, MAX_SEQ);
    const c = { appended, trimmed: this.#meta.get(['trimmedCount', database, table]) ?? 0 };
    const retained = c.appended - c.trimmed;
    if (retained <= 0) return 0;
    const first = this.firstSeq(database, table);
    if (afterSeq < first) return retained;
    let base = first - 1, ordinal = c.trimmed;
    for (const { key, value } of this.#ordinals.getRange({ start: [database, table, afterSeq], end: [database, table, first - 1], reverse: true, limit: 1 })) {
      base = (key as EntryKey)[2];
      ordinal = value;
    }
    const at = ordinal + this.#scanCount(database, table, base + 1, afterSeq + 1);
    return Math.max(0, c.appended - at);
  }

  /** Entries with base <= seq < end, counted one by one. */
  #scanCount(database: string, table: string, from: number, end: number): number {
    from = Math.max(from, this.#floor(database, table) + 1);
    return from >= end ? 0 : this.#log.getCount({ start: [database, table, from], end: [database, table, end] });
  }

  /** Position of the newest entry of a table (0 when none). */
  lastSeq(database: string, table: string): number {
    for (const key of this.#log.getKeys({ start: [database, table, MAX_SEQ], end: [database, table, this.#floor(database, table)], reverse: true, limit: 1 })) {
      return (key as EntryKey)[2];
    }
    return 0;
  }

  /** Position of the oldest retained entry of a table (0 when none). */
  firstSeq(database: string, table: string): number {
    for (const key of this.#log.getKeys({ start: [database, table, this.#floor(database, table) + 1], end: [database, table, MAX_SEQ], limit: 1 })) {
      return (key as EntryKey)[2];
    }
    return 0;
  }

  /**
   * The newest position handed out, including entries of a transaction still being written:
   * not a "committed through" position (use lastSeq() or the CommitEvent for that).
   */
  get headSeq(): number {
    return this.#seq;
  }

  /**
   * Removes a table's entries up to and including a position (always a prefix of the table's
   * log); call inside a transaction. Trimming through MAX_SAFE_INTEGER (a drop) also forgets
   * the table's counters.
   */
  trimThrough(database: string, table: string, seq: number, maxEntries = Infinity): number {
    const c = this.#count(database, table);
    let removed = 0, lastRemoved = 0;
    const floor = this.#floor(database, table);
    for (const key of this.#log.getKeys({ start: [database, table, floor + 1], end: [database, table, Math.max(seq, floor) + 1], snapshot: false })) {
      if (removed >= maxEntries) break;
      this.#log.remove(key);
      lastRemoved = (key as EntryKey)[2];
      removed++;
    }
    // The position of the last entry removed (not `seq`: nothing between it and `seq` existed), so
    // consumers other than peers (sinks) can tell a forced trim from a normal one.
    if (removed && lastRemoved > this.trimmedThrough(database, table)) this.#meta.put(['trimmed', database, table], lastRemoved);
    if (seq >= MAX_SEQ) {
      this.#forgetCounts(database, table);
      return removed;
    }
    if (removed) {
      for (const key of this.#ordinals.getKeys({ start: [database, table, 0], end: [database, table, lastRemoved + 1], snapshot: false })) this.#ordinals.remove(key);
      c.trimmed += removed;
      this.#meta.put(['trimmedCount', database, table], c.trimmed);
    }
    return removed;
  }

  /** The position of the newest entry ever trimmed from a table's log (0 when none). */
  trimmedThrough(database: string, table: string): number {
    return this.#meta.get(['trimmed', database, table]) ?? 0;
  }

  /** Announces committed entries to listeners (replication senders). */
  notifyCommitted(event: CommitEvent): void {
    this.#events.emit('commit', event);
  }

  onCommit(listener: (event: CommitEvent) => void): () => void {
    this.#events.on('commit', listener);
    return () => this.#events.off('commit', listener);
  }
}
