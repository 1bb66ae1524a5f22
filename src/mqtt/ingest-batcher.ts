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

interface Pending {
  def: TableDef;
  user: string;
  rows: RecordData[];
  waiters: { resolve: () => void; reject: (err: unknown) => void }[];
  timer: NodeJS.Timeout | null;
}

export interface IngestBatcherOptions {
  records: Records;
  lingerMs: number;
  maxRows: number;
  /** Called after each committed batch (metrics). */
  onCommitted?: (def: TableDef, rows: number) => void;
}

/**
 * Checks one record for a table and sets its key from the topic id; throws a 400 naming the
 * problem. Mirrors the write path's own checks so a batch never fails because of one record.
 */
export function prepareIngestRecord(def: TableDef, record: RecordData, topicKey: PrimaryKey | null): RecordData {
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
  for (const name in record) checkAttributeName(name, 'record attribute');
  return record;
}

export class IngestBatcher {
  readonly #opts: IngestBatcherOptions;
  readonly #pending = new Map<string, Pending>();
  #inFlight = 0;
  #closed = false;

  constructor(opts: IngestBatcherOptions) {
    this.#opts = opts;
  }

  /** Batches in flight or waiting (metrics, shutdown). */
  get pending(): number {
    return this.#pending.size + this.#inFlight;
  }

  /** Queues a prepared record; resolves once it is durably committed. */
  submit(def: TableDef, record: RecordData, user: string): Promise<void> {
    if (this.#closed) return Promise.reject(invalid('the broker is shutting down'));
    const k = `${def.id}\u0000${user}`;
    let p = this.#pending.get(k);
    if (!p) {
      p = { def, user, rows: [], waiters: [], timer: null };
      this.#pending.set(k, p);
      const batch = p;
      p.timer = setTimeout(() => this.#flush(k, batch), this.#opts.lingerMs);
    }
    p.rows.push(record);
    const promise = new Promise<void>((resolve, reject) => p!.waiters.push({ resolve, reject }));
    if (p.rows.length >= this.#opts.maxRows) this.#flush(k, p);
    return promise;
  }

  #flush(k: string, p: Pending): void {
    if (this.#pending.get(k) !== p) return;
    this.#pending.delete(k);
    if (p.timer) clearTimeout(p.timer);
    this.#inFlight++;
    this.#opts.records.upsert(p.def, p.rows, p.user).then(
      () => {
        this.#opts.onCommitted?.(p.def, p.rows.length);
        for (const w of p.waiters) w.resolve();
      },
      // A batch should not fail after validation; if it does (e.g. the table was dropped, the
      // disk is full) every publish of the batch is refused with the reason.
      (err: unknown) => { for (const w of p.waiters) w.reject(err); },
    ).finally(() => { this.#inFlight--; });
  }

  /** Commits everything queued (shutdown) and refuses new submits. */
  async drain(): Promise<void> {
    this.#closed = true;
    for (const [k, p] of [...this.#pending]) this.#flush(k, p);
    const deadline = Date.now() + 5000;
    while (this.#inFlight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  }
}
