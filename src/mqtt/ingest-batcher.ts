/**
 * Batched ingestion of MQTT writes: records published to one table within `lingerMs` (or until
 * `maxRows`) are upserted in one transaction through the ordinary write path (change log,
 * replication). Each submit resolves only once its transaction is committed and flushed, so a
 * PUBACK sent then survives a crash. Records are validated one by one before they join a batch:
 * a bad one is refused alone and never half-written.
 */
import type { TableDef } from '../catalog/catalog.js';
import { checkAttributeName, isValidPrimaryKey } from '../catalog/names.js';
import type { PrimaryKey, RecordData } from '../changelog/entry.js';
import { invalid } from '../errors/db-error.js';
import type { Records } from '../records/records.js';

/** Told the outcome of one submitted record: 0 once committed, else a reason code. */
export interface IngestWaiter {
  done(code: number, reason?: string): void;
}

interface Pending {
  def: TableDef;
  user: string;
  rows: RecordData[];
  waiters: IngestWaiter[];
  /** performance.now() at each submit (latency metrics). */
  started: number[];
  timer: NodeJS.Timeout | null;
  open: boolean;
}

export interface IngestBatcherOptions {
  records: Records;
  lingerMs: number;
  maxRows: number;
  /** Called after each committed batch with its waiters (metrics). */
  onCommitted?: (def: TableDef, rows: number, submittedAt: readonly number[]) => void;
  /** Called after each batch committed or failed (sessions paused for backpressure resume). */
  onSettled?: () => void;
  /** The reason code and reason for a batch that failed (told to each of its waiters). */
  refusal(def: TableDef, err: unknown): { code: number; reason: string };
}

/**
 * Checks one record for a table and sets its key from the topic id; throws a 400 naming the
 * problem. Mirrors the write path's own checks so a batch never fails because of one record.
 * `known`: the table's attribute names (their names need no second check).
 */
export function prepareIngestRecord(def: TableDef, record: RecordData, topicKey: PrimaryKey | null, known?: ReadonlySet<string>): RecordData {
  const hash = def.hashAttribute;
  const given = record[hash];
  if (topicKey !== null) {
    if (given !== undefined && given !== null && String(given) !== String(topicKey)) throw invalid(`the record's '${hash}' (${String(given)}) does not match the topic id (${String(topicKey)})`);
    if (given === undefined || given === null) record[hash] = topicKey;
  } else if (given !== undefined && given !== null && given !== '' && !isValidPrimaryKey(given)) {
    throw invalid(`primary key '${hash}' must be a string or number`);
  }
  const key = record[hash];
  if (key !== undefined && key !== null && key !== '' && (!isValidPrimaryKey(key) || (typeof key === 'string' && Buffer.byteLength(key) > 1000))) {
    throw invalid(`primary key '${hash}' must be a string or number (at most 1000 bytes)`);
  }
  // Names the table already has were checked when they were added.
  for (const name in record) if (!known?.has(name)) checkAttributeName(name, 'record attribute');
  return record;
}

export class IngestBatcher {
  readonly #opts: IngestBatcherOptions;
  readonly #pending = new Map<string, Map<string, Pending>>();
  /** The batch the last submit joined: consecutive publishes to one table skip the lookups. */
  #last: Pending | null = null;
  #open = 0;
  #inFlight = 0;
  /** Records submitted and not yet committed (or refused). */
  #uncommitted = 0;
  #closed = false;

  constructor(opts: IngestBatcherOptions) {
    this.#opts = opts;
  }

  /** Records submitted and not yet committed: sessions stop reading while this is above a bound. */
  get uncommitted(): number {
    return this.#uncommitted;
  }

  /** Batches in flight or waiting (metrics, shutdown). */
  get pending(): number {
    return this.#open + this.#inFlight;
  }

  /**
   * Queues a prepared record; `waiter.done(0)` once it is durably committed, or a reason code
   * when the batch failed. No promise or closure per record: the waiter is told directly.
   */
  submit(def: TableDef, record: RecordData, user: string, waiter: IngestWaiter): void {
    if (this.#closed) return waiter.done(0x8b, 'the broker is shutting down');
    let p = this.#last;
    if (p === null || !p.open || p.def !== def || p.user !== user) {
      let byUser = this.#pending.get(def.id);
      if (!byUser) this.#pending.set(def.id, (byUser = new Map()));
      p = byUser.get(user) ?? null;
      if (p === null || p.def !== def) {
        const batch: Pending = { def, user, rows: [], waiters: [], started: [], timer: null, open: true };
        byUser.set(user, batch);
        this.#open++;
        batch.timer = setTimeout(() => this.#flush(batch), this.#opts.lingerMs);
        p = batch;
      }
      this.#last = p;
    }
    p.rows.push(record);
    p.waiters.push(waiter);
    p.started.push(performance.now());
    this.#uncommitted++;
    if (p.rows.length >= this.#opts.maxRows) this.#flush(p);
  }

  #flush(p: Pending): void {
    if (!p.open) return;
    p.open = false;
    this.#open--;
    const byUser = this.#pending.get(p.def.id);
    if (byUser?.get(p.user) === p) {
      byUser.delete(p.user);
      if (byUser.size === 0) this.#pending.delete(p.def.id);
    }
    if (this.#last === p) this.#last = null;
    if (p.timer) clearTimeout(p.timer);
    this.#inFlight++;
    let write: Promise<unknown>;
    try {
      write = this.#opts.records.upsert(p.def, p.rows, p.user);
    } catch (err) {
      write = Promise.reject(err); // e.g. the table was dropped since the records were checked
    }
    write.then(
      () => {
        this.#inFlight--;
        this.#uncommitted -= p.rows.length;
        this.#opts.onCommitted?.(p.def, p.rows.length, p.started);
        for (const w of p.waiters) w.done(0);
        this.#opts.onSettled?.();
      },
      // A batch should not fail after validation; if it does (e.g. the table was dropped, the
      // disk is full) every publish of the batch is refused with the reason.
      (err: unknown) => {
        this.#inFlight--;
        this.#uncommitted -= p.rows.length;
        const { code, reason } = this.#opts.refusal(p.def, err);
        for (const w of p.waiters) w.done(code, reason);
        this.#opts.onSettled?.();
      },
    );
  }

  /** Commits everything queued (shutdown) and refuses new submits. */
  async drain(): Promise<void> {
    this.#closed = true;
    for (const byUser of [...this.#pending.values()]) for (const p of [...byUser.values()]) this.#flush(p);
    const deadline = Date.now() + 5000;
    while (this.#inFlight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  }
}
