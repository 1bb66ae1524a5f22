/**
 * One inbound stream: the peer's changes of one table applied here. Batches are applied
 * strictly in order, each in ONE transaction together with the stream cursor and the highest
 * applied origin sequences (Records.applyRemote `also`), and acknowledged only after that
 * transaction is durable. Entries that originated here or were already applied are skipped,
 * so a replayed batch changes nothing.
 */
import type { ChangeEntry } from '../changelog/entry.js';
import { hlcToMillis } from '../changelog/hlc.js';
import type { Records } from '../records/records.js';
import { selectFresh } from './conflict.js';
import type { Counters, Cursor, CursorStore } from './cursor-store.js';
import type { BatchMessage, SubMessage } from './protocol/messages.js';
import { FRAME_TYPES } from './protocol/messages.js';

export type ReceiveState = 'subscribing' | 'waiting' | 'syncing' | 'resync_required' | 'streaming' | 'dropped_locally' | 'closed';

export type BatchHeader = Omit<BatchMessage, 'type' | 'entries'>;

export interface ApplyDeps {
  records: Records;
  cursors: CursorStore;
  /** Link id the cursor is stored under. */
  link: string;
  /** This node's name (entries from here are never applied again). */
  self: string;
  /** The peer's name: only its own entries raise the applied origin sequence (conflict.ts). */
  peer: string;
}

export interface ApplyResult {
  applied: number;
  duplicates: number;
  /** False when the cursor was not where this batch expected it (an earlier batch failed). */
  positioned: boolean;
}

export interface ApplyOptions {
  /**
   * The cursor this batch must follow. Batches are submitted before earlier ones commit
   * (pipelined); if an earlier one failed, this one still applies its rows (harmless: LWW)
   * but moves no position, so the sender resends from the last durable cursor.
   */
  expect?: Cursor | null;
  /** In-memory highest origin sequences of submitted batches (pipelining). */
  memo?: Map<string, number>;
}

const sameCursor = (a: Cursor | null | undefined, b: Cursor | null | undefined) =>
  (a ?? null) === (b ?? null) || (!!a && !!b && a.seq === b.seq && (a.resume ?? null) === (b.resume ?? null));

/**
 * Whether the subscribed table was dropped here since the cursor was written: the cursor names
 * a table incarnation that no longer exists (missing, or recreated with a new id).
 */
export function droppedLocally(records: Records, cursor: Cursor | undefined, db: string, table: string): boolean {
  if (!cursor?.table) return false;
  const def = records.catalog.findTable(db, table);
  return !def || def.id !== cursor.table;
}

/** The cursor a batch leaves behind. */
export function cursorAfter(header: BatchHeader): Cursor {
  return header.snap ? (header.snap.done ? { seq: header.snap.at } : { seq: header.snap.at, resume: header.snap.lastKey }) : { seq: header.last };
}

/**
 * Applies one batch idempotently: duplicates (by origin sequence) and own entries are
 * dropped, the rest go through last-writer-wins, and the cursor moves in the same
 * transaction. Resolves once that transaction is durable.
 */
export async function applyBatch(deps: ApplyDeps, header: BatchHeader, entries: ChangeEntry[], opts: ApplyOptions = {}): Promise<ApplyResult> {
  const { records, cursors, link, self, peer } = deps;
  const { db, table } = header;
  const memo = opts.memo;
  const { fresh, highest, duplicates } = selectFresh(entries, self, peer, (origin) => memo?.get(origin) ?? cursors.applied(origin, db, table));
  if (memo) for (const [o, v] of highest) memo.set(o, v);
  const next = cursorAfter(header);
  let positioned = true;
  const also = () => {
    const current = cursors.cursor(link, db, table);
    if (opts.expect !== undefined && !sameCursor(current, opts.expect)) { positioned = false; return; }
    // A replayed older batch must not move a finished cursor backwards. The cursor remembers
    // which incarnation of the table it belongs to, so a local drop is noticed (state
    // dropped_locally) instead of silently refilling a new, partial table.
    const tableId = records.catalog.findTable(db, table)?.id;
    if (!(current && current.resume === undefined && !header.snap && current.seq > next.seq)) cursors.putCursorInTxn(link, db, table, tableId ? { ...next, table: tableId } : next);
    for (const [origin, seq] of highest) cursors.raiseAppliedInTxn(origin, db, table, seq);
  };
  let applied = 0;
  if (fresh.length) applied = await records.applyRemote(fresh, () => header.hash, also);
  else await records.engine.transaction(also);
  return { applied, duplicates: duplicates + (fresh.length - applied), positioned };
}

export interface ReceiverDeps extends ApplyDeps {
  send(frame: Buffer): void;
  encodeAck(ack: { db: string; table: string; id: number; last: number }): Buffer;
  onError(err: unknown): void;
  /** The subscribed table was dropped locally (the session decides: resync or pause). */
  onDropped(): void;
  since?: number;
}

export class Receiver {
  readonly db: string;
  readonly table: string;
  state: ReceiveState = 'subscribing';
  /** Cumulative figures (durable across reconnects and restarts). */
  rowsReceived = 0;
  rowsApplied = 0;
  duplicates = 0;
  bytesReceived = 0;
  batchesApplied = 0;
  /** Figures since this link connected. */
  readonly session = { rowsReceived: 0, rowsApplied: 0, bytesReceived: 0, batchesApplied: 0 };
  appliedSeq = 0;
  /** Write-to-apply delay of the newest entry of the last batch. */
  lastLagMs = 0;
  lastAppliedAt = 0;
  notice: string | null = null;
  /** A notice that stays for the life of the link (a local drop that was resynced). */
  pinnedNotice: string | null = null;
  /** Called once an initial sync finished (clears a local-drop mark). */
  onSynced: (() => void) | null = null;
  readonly #deps: ReceiverDeps;
  /** Orders submissions (decode, then apply call) and, separately, acks. */
  #submit: Promise<void> = Promise.resolve();
  #acks: Promise<void> = Promise.resolve();
  #expected: Cursor | null;
  readonly #memo = new Map<string, number>();
  #closed = false;
  #persist: NodeJS.Timeout | null = null;
  #savedCounters = '';

  constructor(deps: ReceiverDeps, db: string, table: string) {
    this.#deps = deps;
    this.db = db;
    this.table = table;
    const c = deps.cursors.cursor(deps.link, db, table);
    this.appliedSeq = c?.seq ?? 0;
    this.#expected = c ?? null;
    const k = deps.cursors.counters(deps.link, db, table, 'recv');
    this.rowsReceived = k.rowsReceived ?? 0;
    this.rowsApplied = k.rowsApplied ?? 0;
    this.duplicates = k.duplicates ?? 0;
    this.bytesReceived = k.bytesReceived ?? 0;
    this.batchesApplied = k.batchesApplied ?? 0;
    this.#savedCounters = JSON.stringify(this.#counters());
  }

  #counters(): Counters {
    return { rowsReceived: this.rowsReceived, rowsApplied: this.rowsApplied, duplicates: this.duplicates, bytesReceived: this.bytesReceived, batchesApplied: this.batchesApplied };
  }

  #schedulePersist(): void {
    if (this.#persist) return;
    this.#persist = setTimeout(() => { this.#persist = null; void this.#saveCounters(); }, 200);
  }

  async #saveCounters(): Promise<void> {
    const c = this.#counters();
    const text = JSON.stringify(c);
    if (text === this.#savedCounters) return;
    this.#savedCounters = text;
    await this.#deps.cursors.putCounters(this.#deps.link, this.db, this.table, 'recv', c).catch(() => undefined);
  }

  /** The sender answered the SUB (NOTICE with its starting state). */
  answered(state: string): void {
    if (this.state !== 'subscribing' && this.state !== 'waiting') return;
    if (state === 'streaming' || state === 'syncing' || state === 'waiting' || state === 'resync_required') this.state = state;
  }
  /** The SUB request: resume from the durable cursor, or ask for an initial sync. */
  subscription(): SubMessage {
    const c = this.#deps.cursors.cursor(this.#deps.link, this.db, this.table);
    return {
      type: FRAME_TYPES.SUB, db: this.db, table: this.table, after: c ? c.seq : null,
      ...(c?.resume !== undefined ? { resume: c.resume } : {}),
      ...(this.#deps.since !== undefined ? { since: this.#deps.since } : {}),
    };
  }

  /**
   * Queues a batch. Batches are decoded concurrently, submitted to storage strictly in order
   * without waiting for the previous commit (so consecutive batches share fsyncs), and acked
   * in order once each is durable.
   */
  enqueue(header: BatchHeader, frameBytes: number, decode: () => Promise<ChangeEntry[]>): void {
    this.bytesReceived += frameBytes;
    this.session.bytesReceived += frameBytes;
    const decoded = decode();
    decoded.catch(() => undefined);
    let done!: (r: { entries: ChangeEntry[]; result: ApplyResult } | null) => void;
    const outcome = new Promise<{ entries: ChangeEntry[]; result: ApplyResult } | null>((resolve) => { done = resolve; });
    this.#submit = this.#submit.then(async () => {
      if (this.#closed) return done(null);
      const entries = await decoded;
      if (this.#closed) return done(null);
      // Never refill a table dropped here from the middle of the stream.
      if (droppedLocally(this.#deps.records, this.#deps.cursors.cursor(this.#deps.link, this.db, this.table), this.db, this.table)) {
        done(null);
        this.dropped();
        return;
      }
      const expect = this.#expected;
      this.#expected = cursorAfter(header);
      const applying = applyBatch(this.#deps, header, entries, { expect, memo: this.#memo });
      applying.then((result) => done({ entries, result }), (err: unknown) => { done(null); this.#fail(err); });
    }).catch((err: unknown) => { done(null); this.#fail(err); });
    this.#acks = this.#acks.then(async () => {
      const r = await outcome;
      if (!r) return;
      // Committed while the link was closing: count it, but there is nobody to ack to.
      if (this.#closed) { if (r.result.positioned) this.#count(r.entries, r.result); return; }
      if (!r.result.positioned) { this.#fail(new Error('an earlier batch of this stream was not applied')); return; }
      this.#applied(header, r.entries, r.result);
    });
  }

  #count(entries: ChangeEntry[], r: ApplyResult): void {
    this.rowsReceived += entries.length;
    this.rowsApplied += r.applied;
    this.duplicates += r.duplicates;
    this.batchesApplied++;
    this.session.rowsReceived += entries.length;
    this.session.rowsApplied += r.applied;
    this.session.batchesApplied++;
  }

  #applied(header: BatchHeader, entries: ChangeEntry[], r: ApplyResult): void {
    this.#count(entries, r);
    this.#schedulePersist();
    this.appliedSeq = header.snap ? header.snap.at : header.last;
    this.lastAppliedAt = Date.now();
    let newest = 0;
    for (const e of entries) if (e.hlc > newest) newest = e.hlc;
    if (newest && !header.snap) this.lastLagMs = Math.max(0, this.lastAppliedAt - hlcToMillis(newest));
    this.state = header.snap && !header.snap.done ? (this.state === 'resync_required' ? 'resync_required' : 'syncing') : 'streaming';
    if (!header.snap || header.snap.done) {
      this.notice = this.pinnedNotice;
      if (this.onSynced && header.snap?.done) { this.onSynced(); this.onSynced = null; }
    }
    this.#deps.send(this.#deps.encodeAck({ db: this.db, table: this.table, id: header.id, last: header.last }));
  }

  /** The subscribed table was dropped here: stop applying and let the session decide. */
  dropped(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.state = 'dropped_locally';
    this.#deps.onDropped();
  }

  #fail(err: unknown): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#deps.onError(err);
  }

  /** Stops applying; resolves when the batch being applied (if any) is committed. */
  close(): Promise<void> {
    this.#closed = true;
    if (this.state !== 'dropped_locally') this.state = 'closed';
    if (this.#persist) clearTimeout(this.#persist);
    this.#persist = null;
    return this.#submit.then(() => this.#acks).then(() => this.#saveCounters());
  }
}
