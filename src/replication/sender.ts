/**
 * One outbound stream: this node's changes of one table to one peer. Reads the change log
 * lazily after the peer's durable cursor, in batches bounded by rows, bytes and linger time,
 * with at most maxInFlight unacknowledged batches; starts with an initial sync (or a
 * non-destructive resync when the peer fell behind the retained log) that sends the table's
 * current rows and tombstones with their versions, then streams from the log position
 * recorded before the scan. Never streams an entry whose origin is the peer itself; only an
 * initial sync's scan includes the peer's own rows (it may have lost them in a local drop).
 */
import type { ChangeEntry, PrimaryKey } from '../changelog/entry.js';
import { hlcToMillis } from '../changelog/hlc.js';
import type { Logger } from '../log/logger.js';
import type { Records } from '../records/records.js';
import type { Counters, CursorStore } from './cursor-store.js';
import { encodeBatchFrame, type Compression } from './protocol/frame-codec.js';
import { FRAME_TYPES, type AckMessage, type BatchMessage, type SnapshotInfo, type SubMessage } from './protocol/messages.js';

export type SendState = 'waiting' | 'syncing' | 'resync_required' | 'streaming' | 'stalled' | 'error' | 'closed';

/** Resyncs in a row (none followed by a streamed log entry) after which retention is reported as too small. */
export const MAX_CONSECUTIVE_RESYNCS = 3;

type Encode = typeof encodeBatchFrame;

export interface BatchLimits {
  maxRows: number;
  maxBytes: number;
  lingerMs: number;
  maxInFlight: number;
}

export interface SenderDeps {
  records: Records;
  cursors: CursorStore;
  logger: Logger;
  limits: BatchLimits;
  compression: Compression;
  /** Link id (`out:<peer>` / `in:<peer>`) the positions are stored under. */
  link: string;
  peer: string;
  /** A batch unacknowledged this long marks the stream stalled. */
  stallMs: number;
  send(frame: Buffer): void;
  isOpen(): boolean;
  notice(db: string, table: string, state: string, message: string): void;
  /** Closes the link with a reason (the stream then resumes from the receiver's durable cursor). */
  fail(reason: string): void;
  /** Batch encoder (tests inject failures). */
  encode?: Encode;
}

interface SnapshotState {
  at: number;
  lastKey: PrimaryKey | null;
  /** Rows done; scanning tombstones after this key. */
  tombstones: boolean;
  tombAfter: PrimaryKey | undefined;
  resync: boolean;
}

export class Sender {
  readonly db: string;
  readonly table: string;
  state: SendState = 'waiting';
  lastSentSeq = 0;
  ackedSeq = 0;
  /** Cumulative figures of this stream (all links' lifetimes; durable). */
  rowsSent = 0;
  bytesSent = 0;
  batchesSent = 0;
  resyncs = 0;
  /** Figures since this link connected. */
  readonly session = { rowsSent: 0, bytesSent: 0, batchesSent: 0, resyncs: 0 };
  /** Why the stream stopped or the link was closed by this sender (shown in cluster_status). */
  error: string | null = null;
  readonly #deps: SenderDeps;
  readonly #since: number | undefined;
  #request: SubMessage;
  #initialised = false;
  #snap: SnapshotState | null = null;
  #nextAfter = 0;
  #batchId = 0;
  readonly #inFlight = new Map<number, { last: number; sentAt: number }>();
  #avgRowBytes = 48;
  #pumping = false;
  #again = false;
  #linger: NodeJS.Timeout | null = null;
  #lingerSeq = -1;
  #persist: NodeJS.Timeout | null = null;
  #unsubscribe: (() => void) | null = null;
  #closed = false;
  #stallWarned = false;
  /** Resyncs started since a log entry after a resync's end was last streamed. */
  #resyncRun = 0;
  /** The previous resync's trimmed-through position at its start (loop detection). */
  #lastResyncTrim: number | null = null;
  #savedCounters = '';
  #answered = false;

  constructor(deps: SenderDeps, request: SubMessage) {
    this.#deps = deps;
    this.db = request.db;
    this.table = request.table;
    this.#request = request;
    this.#since = request.since;
    this.ackedSeq = deps.cursors.acked(deps.link, this.db, this.table) ?? 0;
    const c = deps.cursors.counters(deps.link, this.db, this.table, 'send');
    this.rowsSent = c.rowsSent ?? 0;
    this.bytesSent = c.bytesSent ?? 0;
    this.batchesSent = c.batchesSent ?? 0;
    this.resyncs = c.resyncs ?? 0;
    this.#savedCounters = JSON.stringify(this.#counters());
  }

  #counters(): Counters {
    return { rowsSent: this.rowsSent, bytesSent: this.bytesSent, batchesSent: this.batchesSent, resyncs: this.resyncs };
  }

  start(): void {
    this.#unsubscribe = this.#deps.records.changelog.onCommit((e) => {
      if (e.database === this.db && e.table === this.table && !this.#linger) this.kick();
    });
    this.kick();
  }

  /** Decides where to start once the table exists. */
  #init(): boolean {
    const { records, cursors, logger, peer } = this.#deps;
    const def = records.catalog.findTable(this.db, this.table);
    if (!def) {
      // Answer the SUB once: the receiver shows `waiting` instead of `subscribing`.
      if (this.state !== 'waiting' || !this.#answered) this.#deps.notice(this.db, this.table, 'waiting', '');
      this.#answered = true;
      this.state = 'waiting';
      return false;
    }
    const req = this.#request;
    const trimmed = cursors.trimmed(this.db, this.table);
    if (req.after === null) {
      this.#startSnapshot(false);
    } else if (req.after < trimmed) {
      logger.warn({ peer, database: this.db, table: this.table, peerCursor: req.after, trimmedThrough: trimmed }, 'peer fell behind the retained change log; starting a non-destructive resync');
      this.#deps.notice(this.db, this.table, 'resync_required', `the change log was trimmed through ${trimmed}; your cursor is ${req.after}; resyncing current rows (merge, nothing deleted)`);
      this.#countResync(trimmed);
      this.#startSnapshot(true);
    } else if (req.resume !== undefined && req.resume !== null) {
      this.#snap = { at: req.after, lastKey: req.resume, tombstones: false, tombAfter: undefined, resync: false };
      this.state = 'syncing';
    } else {
      this.#nextAfter = req.after;
      this.lastSentSeq = req.after;
      this.state = 'streaming';
      // The receiver's durable cursor proves it applied everything through `after`, even when
      // the ack of the last batch was lost with the previous link.
      if (req.after > this.ackedSeq) { this.ackedSeq = req.after; this.#schedulePersist(); }
    }
    // The answer to SUB: the receiver is streaming (or syncing) from now on, even if no row
    // follows for a long time. A resync already sent its own notice.
    if (this.state !== 'resync_required') this.#deps.notice(this.db, this.table, this.state, '');
    this.#answered = true;
    this.#initialised = true;
    return true;
  }

  #startSnapshot(resync: boolean): void {
    // The log position BEFORE the scan: writes after it are streamed afterwards, so nothing is
    // missed; rows both scanned and streamed are harmless (last-writer-wins). It is never below
    // the trimmed-through position: when the table's log is empty or fully trimmed, the scan
    // covers everything up to the trim, and ending below it would trigger another resync.
    const trimmed = this.#deps.cursors.trimmed(this.db, this.table);
    const at = Math.max(this.#deps.records.changelog.lastSeq(this.db, this.table), trimmed);
    this.#snap = { at, lastKey: null, tombstones: false, tombAfter: undefined, resync };
    this.state = resync ? 'resync_required' : 'syncing';
  }

  #countResync(trimmed: number): void {
    this.resyncs++;
    this.session.resyncs++;
    this.#resyncRun++;
    this.#lastResyncTrim = trimmed;
  }

  /** Stops this stream (the link stays up for other tables) with an error shown in status. */
  #giveUp(message: string): void {
    this.error = message;
    this.state = 'error';
    this.#deps.logger.error({ peer: this.#deps.peer, database: this.db, table: this.table }, message);
    this.#deps.notice(this.db, this.table, 'error', message);
  }

  /** Schedules a pump (new entries, an ack, the table appearing). */
  kick(): void {
    if (this.#closed) return;
    void this.#pump().catch((err: unknown) => this.#deps.logger.error({ err, peer: this.#deps.peer, table: `${this.db}.${this.table}` }, 'replication sender failed'));
  }

  async #pump(): Promise<void> {
    if (this.#pumping) { this.#again = true; return; }
    this.#pumping = true;
    try {
      do {
        this.#again = false;
        if (!this.#initialised && !this.#init()) return;
        const { limits, isOpen } = this.#deps;
        while (!this.#closed && isOpen() && this.#inFlight.size < limits.maxInFlight) {
          if (this.state === 'error') return;
          const batch = this.#snap ? this.#snapshotBatch() : this.#logBatch();
          if (!batch) break;
          let encoded: { frame: Buffer; rawBytes: number };
          try {
            encoded = await (this.#deps.encode ?? encodeBatchFrame)(batch, this.#deps.compression);
          } catch (err) {
            // The batch's positions already moved in memory: never skip it. Closing the link makes
            // the peer resubscribe from its durable cursor, so the batch is rebuilt and resent.
            const message = `could not encode batch ${batch.id} (positions through ${batch.last}): ${err instanceof Error ? err.message : String(err)}`;
            this.error = message;
            this.#deps.logger.error({ err, peer: this.#deps.peer, database: this.db, table: this.table }, 'replication sender could not build a batch; closing the link');
            this.#deps.fail(`send failed for ${this.db}.${this.table}: ${message}`);
            return;
          }
          const { frame, rawBytes } = encoded;
          if (batch.entries.length) this.#avgRowBytes = Math.max(8, (this.#avgRowBytes + rawBytes / batch.entries.length) / 2);
          if (this.#closed || !isOpen()) return;
          this.#inFlight.set(batch.id, { last: batch.last, sentAt: Date.now() });
          this.#deps.send(frame);
          this.batchesSent++;
          this.rowsSent += batch.entries.length;
          this.bytesSent += frame.length;
          this.session.batchesSent++;
          this.session.rowsSent += batch.entries.length;
          this.session.bytesSent += frame.length;
          this.#schedulePersist();
        }
      } while (this.#again && !this.#closed);
    } finally {
      this.#pumping = false;
    }
  }

  #rowLimit(): number {
    const { maxRows, maxBytes } = this.#deps.limits;
    return Math.max(1, Math.min(maxRows, Math.floor(maxBytes / this.#avgRowBytes)));
  }

  #batch(entries: ChangeEntry[], last: number, hash: string, snap?: SnapshotInfo): BatchMessage {
    return { type: FRAME_TYPES.BATCH, db: this.db, table: this.table, hash, id: ++this.#batchId, last, ...(snap ? { snap } : {}), entries };
  }

  #logBatch(): BatchMessage | null {
    const { records, peer, limits } = this.#deps;
    const def = records.catalog.findTable(this.db, this.table);
    if (!def) return null; // dropped: wait for it to come back (the cursor survives)
    const trimmed = this.#deps.cursors.trimmed(this.db, this.table);
    if (trimmed > this.#nextAfter) {
      // Retention (age/count limits) removed entries this stream had not sent yet. A resync
      // that ends at or after the trim cannot trigger another by itself: if one does (nothing
      // streamed in between and the trim did not move), that is a bug, reported and not repeated.
      if (this.#resyncRun > 0 && this.#lastResyncTrim === trimmed) {
        this.#giveUp(`resync loop detected: a resync ended at position ${this.#nextAfter}, below the change log trimmed through ${trimmed}, which did not move; the stream is stopped (reconnect to retry)`);
        return null;
      }
      // The trim moved again before anything was streamed: legitimate (entries really were
      // removed), but retention is too small for this stream; say so once per run.
      if (this.#resyncRun + 1 === MAX_CONSECUTIVE_RESYNCS) {
        this.#deps.logger.warn({ peer, database: this.db, table: this.table, resyncs: this.#resyncRun + 1 }, 'retention keeps trimming ahead of this stream; raise clustering.retention.maxEntries / maxAgeMs');
        this.#deps.notice(this.db, this.table, 'resync_required', `${this.#resyncRun + 1} resyncs in a row: retention trims the change log faster than this stream catches up; raise clustering.retention.maxEntries or maxAgeMs on the publisher`);
      }
      this.#deps.logger.warn({ peer, database: this.db, table: this.table, position: this.#nextAfter, trimmedThrough: trimmed }, 'change log trimmed ahead of a live stream; starting a non-destructive resync');
      this.#deps.notice(this.db, this.table, 'resync_required', `the change log was trimmed through ${trimmed} before position ${this.#nextAfter} was sent; resyncing current rows`);
      this.#countResync(trimmed);
      this.#startSnapshot(true);
      return this.#snapshotBatch();
    }
    const limit = this.#rowLimit();
    const entries: ChangeEntry[] = [];
    let last = this.#nextAfter, read = 0, firstMs = 0, firstSeq = -1;
    for (const e of records.changelog.readAfter(this.db, this.table, this.#nextAfter, limit)) {
      if (read++ === 0) { firstMs = hlcToMillis(e.hlc); firstSeq = e.seq; }
      last = e.seq;
      if (e.origin !== peer) entries.push(e);
    }
    if (read === 0) {
      if (this.state !== 'stalled') this.state = 'streaming';
      return null;
    }
    this.#resyncRun = 0;
    // Linger: a partial batch waits (from the first entry's write time) for more rows.
    const wait = firstMs + limits.lingerMs - Date.now();
    if (read < limit && limits.lingerMs > 0 && wait > 0 && this.#lingerSeq !== firstSeq) {
      if (!this.#linger) {
        this.#linger = setTimeout(() => { this.#linger = null; this.#lingerSeq = firstSeq; this.kick(); }, Math.min(wait, limits.lingerMs) + 1);
      }
      return null;
    }
    this.#nextAfter = last;
    this.lastSentSeq = last;
    return this.#batch(entries, last, def.hashAttribute);
  }

  #snapshotBatch(): BatchMessage | null {
    const snap = this.#snap!;
    const { records, peer } = this.#deps;
    const def = records.catalog.findTable(this.db, this.table);
    if (!def) { this.#snap = null; this.#nextAfter = snap.at; this.state = 'waiting'; return null; }
    const limit = this.#rowLimit();
    const since = this.#since !== undefined ? this.#since * 1000 : 0;
    const entries: ChangeEntry[] = [];
    let scanned = 0;
    const scanCap = limit * 10;
    // An initial sync sends every row, the peer's own included: a peer that starts without a
    // cursor may have lost them (a local drop of a both-ways table). A resync of a peer that fell
    // behind the log leaves out its own rows, which it still holds. Rows it holds already are
    // no-ops there (last-writer-wins on equal versions).
    const skip = snap.resync ? peer : undefined;
    if (!snap.tombstones) {
      let exhausted = true;
      for (const r of records.scanVersions(def, snap.lastKey ?? undefined)) {
        if (typeof r.key !== 'string' && typeof r.key !== 'number') continue;
        snap.lastKey = r.key;
        if (r.origin !== skip && r.hlc >= since) entries.push({ seq: 0, hlc: r.hlc, origin: r.origin, originSeq: 0, database: this.db, table: this.table, op: 'upsert', key: r.key, record: r.record, user: null });
        if (entries.length >= limit || ++scanned >= scanCap) { exhausted = false; break; }
      }
      if (exhausted) snap.tombstones = true;
    }
    if (snap.tombstones && entries.length < limit) {
      let exhausted = true;
      for (const { key, value } of records.handle(def).tombstones.getRange(snap.tombAfter === undefined ? { snapshot: false } : { start: snap.tombAfter, snapshot: false })) {
        if (snap.tombAfter !== undefined && key === snap.tombAfter) continue;
        if (typeof key !== 'string' && typeof key !== 'number') continue;
        snap.tombAfter = key as PrimaryKey;
        if (value[1] !== skip && value[0] >= since) entries.push({ seq: 0, hlc: value[0], origin: value[1], originSeq: 0, database: this.db, table: this.table, op: 'delete', key: key as PrimaryKey, record: null, user: null });
        if (entries.length >= limit || ++scanned >= scanCap) { exhausted = false; break; }
      }
      if (exhausted) {
        this.#snap = null;
        this.#nextAfter = snap.at;
        this.lastSentSeq = snap.at;
        this.state = 'streaming';
        return this.#batch(entries, snap.at, def.hashAttribute, { at: snap.at, lastKey: snap.lastKey, done: true });
      }
    }
    return this.#batch(entries, snap.at, def.hashAttribute, { at: snap.at, lastKey: snap.lastKey, done: false });
  }

  onAck(ack: AckMessage): void {
    const sent = this.#inFlight.get(ack.id);
    if (!sent) return;
    // Acks arrive in order; anything older than this one is acknowledged too.
    for (const id of this.#inFlight.keys()) if (id <= ack.id) this.#inFlight.delete(id);
    if (ack.last > this.ackedSeq) this.ackedSeq = ack.last;
    if (this.state === 'stalled') { this.state = this.#snap ? 'syncing' : 'streaming'; this.#stallWarned = false; }
    this.#schedulePersist();
    this.kick();
  }

  #schedulePersist(): void {
    if (this.#persist) return;
    this.#persist = setTimeout(() => { this.#persist = null; void this.#saveAcked(); }, 200);
  }

  async #saveAcked(): Promise<void> {
    const { cursors, link } = this.#deps;
    // A failure here (store closing) only delays retention: the receiver's cursor is the truth.
    if ((cursors.acked(link, this.db, this.table) ?? -1) !== this.ackedSeq) await cursors.setAcked(link, this.db, this.table, this.ackedSeq).catch(() => undefined);
    const counters = this.#counters();
    const text = JSON.stringify(counters);
    if (text !== this.#savedCounters) {
      this.#savedCounters = text;
      await cursors.putCounters(link, this.db, this.table, 'send', counters).catch(() => undefined);
    }
  }

  /** Called on every heartbeat tick: detects a connected but non-progressing stream. */
  checkStall(now = Date.now()): boolean {
    let oldest = Infinity;
    for (const f of this.#inFlight.values()) if (f.sentAt < oldest) oldest = f.sentAt;
    if (oldest !== Infinity && now - oldest > this.#deps.stallMs) {
      if (!this.#stallWarned) {
        this.#stallWarned = true;
        this.#deps.logger.warn({ peer: this.#deps.peer, database: this.db, table: this.table, waitingMs: now - oldest }, 'replication stream stalled: batch not acknowledged');
      }
      this.state = 'stalled';
      return true;
    }
    return false;
  }

  /** Age of the oldest change not yet acknowledged (0 when caught up). */
  lagMs(now = Date.now()): number {
    for (const e of this.#deps.records.changelog.readAfter(this.db, this.table, this.ackedSeq, 1)) return Math.max(0, now - hlcToMillis(e.hlc));
    return 0;
  }

  backlogRows(): number {
    return this.#deps.records.changelog.countAfter(this.db, this.table, this.ackedSeq);
  }

  /** Stops the stream; resolves once the acknowledged position is persisted. */
  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    this.state = 'closed';
    this.#unsubscribe?.();
    if (this.#linger) clearTimeout(this.#linger);
    if (this.#persist) clearTimeout(this.#persist);
    return this.#saveAcked();
  }
}
