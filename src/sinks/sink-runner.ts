/**
 * One sink: reads this node's change log after the cursor the target holds, table by table, in
 * batches of at most `batchRows` entries, and hands each batch with its next cursor to the
 * target, which commits both in one transaction. A table without a cursor (new sink) or whose
 * log was trimmed past its cursor (retention limits) is copied first, non-destructively, from
 * the table's rows and tombstones. One batch is in memory at a time; a failing target makes the
 * runner back off and retry from the target's committed cursor, so nothing is lost or doubled.
 */
import { hlcToMillis } from '../changelog/hlc.js';
import type { SinkDefinition } from '../config/sink-settings.js';
import { parseTargetName } from '../config/sink-settings.js';
import type { Logger } from '../log/logger.js';
import type { Records } from '../records/records.js';
import { backoffMs, BatchCollector } from './rows.js';
import type { CopyState, Progress, SinkRow, SinkTarget, TargetTable } from './target.js';
import { TargetError } from './target.js';

export const SINK_STATES = ['connecting', 'catching_up', 'streaming', 'stalled', 'unauthorized', 'stopped'] as const;
export type SinkState = (typeof SINK_STATES)[number];

interface TableRun {
  spec: TargetTable;
  /** The table's attributes in the catalog (refreshed every step). */
  attributes: readonly string[];
  /** Cursor known to be committed in the target; undefined until read. */
  progress: Progress | null | undefined;
  /** Copy state chosen but not yet committed (new sink or forced re-copy). */
  pendingCopy: CopyState | null;
  state: 'waiting' | 'copying' | 'catching_up' | 'streaming';
  rowsWritten: number;
  bytesWritten: number;
  batches: number;
  copies: number;
  /** Forced trims seen (retention passed the cursor) that started a re-copy. */
  resyncs: number;
  typeMismatches: number;
  lastWriteAt: number | null;
  lastLagMs: number;
  /** The next batch, read (and encoded when the target can) while the previous one was being written. */
  ahead: Batch | null;
}

/** One streaming batch: the collapsed rows of the log entries after `after`, through `lastSeq`. */
interface Batch {
  after: number;
  lastSeq: number;
  lastHlc: number;
  entries: number;
  rows: SinkRow[];
  insertOnly: boolean;
  /** The catalog attributes the batch was read with (a prepared encoding depends on them). */
  attributes: readonly string[];
  prepared: unknown;
}

export interface RunnerOptions {
  definition: SinkDefinition;
  records: Records;
  logger: Logger;
  target: SinkTarget;
  sourceNode: string;
  batchRows: number;
  retry: { minMs: number; maxMs: number };
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export class SinkRunner {
  readonly name: string;
  readonly #o: RunnerOptions;
  readonly #tables: TableRun[];
  #state: SinkState = 'connecting';
  #connected = false;
  #stopped = false;
  #attempt = 0;
  #retries = 0;
  #lastError: string | null = null;
  #lastErrorAt: number | null = null;
  #wake: (() => void) | null = null;
  /** False while backing off: commits must not cut a retry delay short. */
  #wakeOnCommit = true;
  #loop: Promise<void> | null = null;
  #unsubscribe: (() => void) | null = null;

  constructor(options: RunnerOptions) {
    this.#o = options;
    this.name = options.definition.name;
    this.#tables = options.definition.tables.map((t) => {
      const target = (t.target ? parseTargetName(t.target) : null) ?? { schema: t.database, table: t.table };
      return {
        spec: { database: t.database, table: t.table, schema: target.schema, name: target.table, keyAttribute: '', columns: t.columns, createTables: options.definition.createTables },
        attributes: [], progress: undefined, pendingCopy: null, state: 'waiting', rowsWritten: 0, bytesWritten: 0, batches: 0, copies: 0, resyncs: 0, typeMismatches: 0, lastWriteAt: null, lastLagMs: 0, ahead: null,
      };
    });
  }

  start(): void {
    if (this.#loop) return;
    this.#unsubscribe = this.#o.records.changelog.onCommit((e) => {
      if (this.#wakeOnCommit && this.#tables.some((t) => t.spec.database === e.database && t.spec.table === e.table)) this.#kick();
    });
    this.#loop = this.#run();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#unsubscribe?.();
    this.#kick();
    await this.#loop;
    await this.#o.target.close();
    this.#state = 'stopped';
  }

  /**
   * The position the change log must be kept after for a table (retention hold), or undefined
   * when the sink does not read it. Until the target's cursor is known, everything is held.
   */
  hold(database: string, table: string): number | undefined {
    const t = this.#tables.find((x) => x.spec.database === database && x.spec.table === table);
    if (!t) return undefined;
    if (t.pendingCopy) return t.pendingCopy.at;
    if (!t.progress) return 0;
    return t.progress.copy ? t.progress.copy.at : t.progress.position;
  }

  get state(): SinkState {
    return this.#state;
  }

  /** The figures sink_status shows; never the URL's credentials. */
  status(): Record<string, unknown> {
    const log = this.#o.records.changelog;
    let backlog = 0;
    let lag = 0;
    const tables = this.#tables.map((t) => {
      const pos = this.hold(t.spec.database, t.spec.table) ?? 0;
      const rows = t.progress === undefined ? log.countAfter(t.spec.database, t.spec.table, 0) : log.countAfter(t.spec.database, t.spec.table, pos);
      let lagMs = 0;
      if (rows > 0) {
        for (const e of log.readAfter(t.spec.database, t.spec.table, pos, 1)) lagMs = Math.max(0, Date.now() - hlcToMillis(e.hlc));
      }
      backlog += rows;
      lag = Math.max(lag, lagMs);
      const copy = t.pendingCopy ?? t.progress?.copy ?? null;
      return {
        database: t.spec.database, table: t.spec.table, target: `${t.spec.schema}.${t.spec.name}`, state: t.state,
        position: t.progress ? t.progress.position : null, backlog_rows: rows, lag_ms: lagMs,
        copying: copy ? { phase: copy.phase, at: copy.at } : null,
        rows_written: t.rowsWritten, bytes_written: t.bytesWritten, batches: t.batches, copies: t.copies, resyncs: t.resyncs,
        type_mismatches: t.typeMismatches, last_write_at: t.lastWriteAt,
      };
    });
    return {
      name: this.name, type: this.#o.definition.type, state: this.#state, backlog_rows: backlog, lag_ms: lag,
      rows_written: tables.reduce((s, t) => s + t.rows_written, 0), bytes_written: tables.reduce((s, t) => s + t.bytes_written, 0),
      retries: this.#retries, last_error: this.#lastError, last_error_at: this.#lastErrorAt, tables,
    };
  }

  #kick(): void {
    const w = this.#wake;
    this.#wake = null;
    w?.();
  }

  async #sleep(ms: number, wakeOnCommit = true): Promise<void> {
    if (this.#stopped) return;
    this.#wakeOnCommit = wakeOnCommit;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => { this.#wake = null; resolve(); }, ms);
      this.#wake = () => { clearTimeout(timer); resolve(); };
    });
  }

  async #run(): Promise<void> {
    const { target, logger } = this.#o;
    while (!this.#stopped) {
      try {
        if (!this.#connected) {
          await target.open();
          this.#connected = true;
          for (const t of this.#tables) { t.progress = undefined; t.ahead = null; }
          logger.info({ sink: this.name }, 'sink connected to its target');
        }
        const worked = await this.#step();
        this.#attempt = 0;
        if (this.#lastError && worked) this.#lastError = null;
        if (!worked) {
          this.#state = 'streaming';
          await this.#sleep(1000);
        }
      } catch (err) {
        if (this.#stopped) break;
        const e = err instanceof TargetError ? err : new TargetError('rejected', (err as Error)?.message ?? String(err));
        this.#retries++;
        this.#lastError = e.message;
        this.#lastErrorAt = Date.now();
        for (const t of this.#tables) t.ahead = null;
        if (e.kind === 'conflict') {
          // Re-read the committed cursors and carry on (deadlock, or another writer moved it).
          for (const t of this.#tables) { t.progress = undefined; t.pendingCopy = null; }
          logger.warn({ sink: this.name, err: e.message }, 'sink re-reads its cursor from the target');
          await this.#sleep(backoffMs(0, this.#o.retry.minMs, this.#o.retry.maxMs), false);
          continue;
        }
        const first = this.#attempt === 0;
        this.#state = e.kind === 'unauthorized' ? 'unauthorized' : 'stalled';
        this.#connected = false;
        for (const t of this.#tables) t.pendingCopy = null;
        await target.close();
        if (first) logger.warn({ sink: this.name, kind: e.kind, code: e.code, err: e.message }, 'sink target failed; retrying with back-off');
        await this.#sleep(backoffMs(this.#attempt++, this.#o.retry.minMs, this.#o.retry.maxMs), false);
      }
    }
  }

  /** Writes one batch for the first table with work; false when every table is caught up. */
  async #step(): Promise<boolean> {
    let worked = false;
    let behind = false;
    for (const t of this.#tables) {
      if (this.#stopped) return worked;
      const did = await this.#stepTable(t);
      worked ||= did;
      if (t.state !== 'streaming' && t.state !== 'waiting') behind = true;
    }
    if (worked) this.#state = behind ? 'catching_up' : 'streaming';
    return worked;
  }

  async #stepTable(t: TableRun): Promise<boolean> {
    const { records, target, sourceNode, logger } = this.#o;
    const { database, table } = t.spec;
    const def = records.catalog.findTable(database, table);
    if (!def) { t.state = 'waiting'; return false; }
    t.spec = { ...t.spec, keyAttribute: def.hashAttribute };
    t.attributes = def.attributes;
    if (t.progress === undefined) t.progress = await target.readProgress(this.name, sourceNode, t.spec);
    const log = records.changelog;
    const progress = t.progress;
    // A copy continues after the newest entry that exists or was trimmed (the log may be empty).
    const head = () => Math.max(log.lastSeq(database, table), log.trimmedThrough(database, table));
    if (!progress && !t.pendingCopy) {
      t.pendingCopy = { at: head(), phase: 'rows', after: null };
      t.copies++;
    } else if (progress && !progress.copy && !t.pendingCopy && log.trimmedThrough(database, table) > progress.position) {
      t.pendingCopy = { at: head(), phase: 'rows', after: null };
      t.copies++;
      t.resyncs++;
      logger.warn({ sink: this.name, database, table, position: progress.position, trimmedThrough: log.trimmedThrough(database, table) },
        'change log trimmed past what the sink delivered (retention limit); re-copying the table into the target');
    }
    const copy = t.pendingCopy ?? progress?.copy ?? null;
    if (copy) {
      t.ahead = null;
      t.state = 'copying';
      const { rows, next } = this.#copyBatch(def, copy);
      const position = progress ? progress.position : 0;
      const nextProgress: Progress = next ? { position, copy: next } : { position: copy.at, copy: null };
      // A first copy (nothing delivered yet) may take the bulk path; a re-copy merges.
      await this.#write(t, rows, progress ?? null, nextProgress, !progress || progress.position === 0);
      t.pendingCopy = null;
      if (!next) logger.info({ sink: this.name, database, table, at: copy.at }, 'sink finished copying a table');
      return true;
    }
    // The batch read ahead during the previous write, if it starts at the committed cursor and
    // was read with the same attributes; else read it now.
    const ahead = t.ahead;
    t.ahead = null;
    const usable = ahead && ahead.after === progress!.position && sameList(ahead.attributes, t.attributes);
    const batch = usable ? ahead : this.#readBatch(t, progress!.position, false);
    if (!batch) { t.state = 'streaming'; t.lastLagMs = 0; return false; }
    const next: Progress = { position: batch.lastSeq, copy: null };
    let readAhead: Batch | null = null;
    // Pipelining: while this batch's rows are in flight, read and encode the next one (it is
    // used only if this write commits; the cursor still moves once per committed transaction).
    await this.#write(t, batch.rows, progress!, next, batch.insertOnly, batch.prepared, () => {
      try { readAhead = this.#readBatch(t, next.position, true); } catch { readAhead = null; }
    });
    t.ahead = readAhead;
    t.lastLagMs = Math.max(0, Date.now() - hlcToMillis(batch.lastHlc));
    t.state = batch.entries >= this.#o.batchRows ? 'catching_up' : 'streaming';
    return true;
  }

  /** Up to batchRows log entries after a position, collapsed; null when there are none. */
  #readBatch(t: TableRun, after: number, prepare: boolean): Batch | null {
    const { records, target } = this.#o;
    const c = new BatchCollector();
    records.changelog.scanAfter(t.spec.database, t.spec.table, after, this.#o.batchRows, (seq, v) => c.add(seq, v));
    if (!c.entries) return null;
    const rows = c.rows();
    const attributes = t.attributes;
    const prepared = prepare && target.prepare ? target.prepare({ table: t.spec, rows, attributes, likelyNew: c.insertOnly }) : null;
    return { after, lastSeq: c.lastSeq, lastHlc: c.lastHlc, entries: c.entries, rows, insertOnly: c.insertOnly, attributes, prepared };
  }

  #copyBatch(def: Parameters<Records['scanVersions']>[0], copy: CopyState): { rows: SinkRow[]; next: CopyState | null } {
    const { records } = this.#o;
    const rows: SinkRow[] = [];
    const limit = this.#o.batchRows;
    let after = copy.after;
    if (copy.phase === 'rows') {
      for (const r of records.scanVersions(def, after ?? undefined)) {
        rows.push({ key: r.key, version: r.hlc, origin: r.origin, record: r.record });
        after = r.key;
        if (rows.length >= limit) return { rows, next: { at: copy.at, phase: 'rows', after } };
      }
      after = null;
    }
    for (const r of records.scanTombstones(def, after ?? undefined)) {
      rows.push({ key: r.key, version: r.hlc, origin: r.origin, record: null });
      after = r.key;
      if (rows.length >= limit) return { rows, next: { at: copy.at, phase: 'tombstones', after } };
    }
    return { rows, next: null };
  }

  async #write(t: TableRun, rows: SinkRow[], expected: Progress | null, next: Progress, likelyNew: boolean, prepared: unknown = null, whileWaiting?: () => void): Promise<void> {
    const res = await this.#o.target.write({ sink: this.name, sourceNode: this.#o.sourceNode, table: t.spec, rows, attributes: t.attributes, likelyNew, expected, next, prepared, whileWaiting });
    t.progress = next;
    t.rowsWritten += rows.length;
    t.bytesWritten += res.bytes;
    t.typeMismatches += res.typeMismatches;
    t.batches++;
    t.lastWriteAt = Date.now();
  }
}
