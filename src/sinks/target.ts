/**
 * The target-type interface: what a sink needs from a destination engine. The sink runner reads
 * the change log and hands a target collapsed row batches plus the cursor to commit with them;
 * a target writes both atomically. Adding an engine (e.g. Kafka) means one new implementation
 * registered in target-types.ts; the change-log reader does not change.
 */
import type { PrimaryKey, RecordData } from '../changelog/entry.js';

/** Where one FerryDB table lands in the target and how its attributes map to columns. */
export interface TargetTable {
  database: string;
  table: string;
  /** Target namespace (PostgreSQL schema) and table name. */
  schema: string;
  name: string;
  keyAttribute: string;
  /** Attribute -> column; attributes not listed keep their own name. */
  columns: Readonly<Record<string, string>>;
  /** Create the table when missing and add columns for new attributes. */
  createTables: boolean;
}

/** The state of one key after a batch: the full record, or null for a delete. */
export interface SinkRow {
  key: PrimaryKey;
  /** FerryDB version of the write: the HLC timestamp and its origin node (last writer wins). */
  version: number;
  origin: string;
  record: RecordData | null;
}

/** An initial copy or re-copy in progress: rows then tombstones, in key order, after `after`. */
export interface CopyState {
  /** Log position recorded before the scan started; streaming continues after it. */
  at: number;
  phase: 'rows' | 'tombstones';
  after: PrimaryKey | null;
}

/** The cursor a sink keeps in the target, per (sink, source node, database, table). */
export interface Progress {
  /** Change-log position delivered through. */
  position: number;
  copy: CopyState | null;
}

export interface WriteRequest {
  sink: string;
  sourceNode: string;
  table: TargetTable;
  /** At most one row per key, in change order. */
  rows: SinkRow[];
  /** Every attribute FerryDB knows for the table: target columns that map to none are left alone. */
  attributes: readonly string[];
  /** The rows are probably absent from the target (inserts, first copy): a bulk path may be tried. */
  likelyNew: boolean;
  /** The cursor the target must hold now (null: none yet); anything else aborts the write. */
  expected: Progress | null;
  /** The cursor committed with the rows. */
  next: Progress;
  /** What `prepare` returned for these rows (the same array), if anything: used only when still valid. */
  prepared?: unknown;
  /**
   * Called at most once, synchronously, while the target waits on its biggest statement of this
   * write (e.g. COPY data sent, or the commit): the runner reads and encodes its next batch then.
   * It must not throw and must not touch the target's connection.
   */
  whileWaiting?: () => void;
}

/** What a target may encode ahead of a write. */
export type PrepareRequest = Pick<WriteRequest, 'table' | 'rows' | 'attributes' | 'likelyNew'>;

export interface WriteResult {
  /** Bytes of row data sent to the target. */
  bytes: number;
  /** Values that did not fit their column's type and were written as NULL. */
  typeMismatches: number;
  /** How the rows were written ('copy' or 'upsert'; engine-specific names allowed). */
  path: string;
  /** The encoding the rows were sent in, when the engine has several (PostgreSQL: 'binary' or 'text'). */
  format?: string;
}

export const TARGET_ERROR_KINDS = ['unauthorized', 'unavailable', 'conflict', 'rejected'] as const;
export type TargetErrorKind = (typeof TARGET_ERROR_KINDS)[number];

/**
 * A failure of the target, classified for the sink's state: unauthorized (bad credentials),
 * unavailable (cannot connect, connection lost), conflict (the stored cursor is not the expected
 * one: re-read it), rejected (the target refused the statement). Messages never hold credentials.
 */
export class TargetError extends Error {
  readonly kind: TargetErrorKind;
  readonly code: string | null;

  constructor(kind: TargetErrorKind, message: string, code: string | null = null) {
    super(message);
    this.name = 'TargetError';
    this.kind = kind;
    this.code = code;
  }
}

/** One connection to a target; the runner uses one at a time, never concurrently. */
export interface SinkTarget {
  /** Connects and creates the target's bookkeeping tables when missing. */
  open(): Promise<void>;
  readProgress(sink: string, sourceNode: string, table: TargetTable): Promise<Progress | null>;
  /** Writes the rows and moves the cursor from `expected` to `next` in one transaction. */
  write(request: WriteRequest): Promise<WriteResult>;
  /**
   * Optional, synchronous: encodes a batch ahead of its write (null when it cannot without asking
   * the target, e.g. new columns). Pass the result as `WriteRequest.prepared`; it changes no state.
   */
  prepare?(request: PrepareRequest): unknown;
  close(): Promise<void>;
}

export interface TargetFactoryOptions {
  url: string;
  /** Milliseconds before a connection attempt or a statement is given up. */
  timeoutMs: number;
}

export type TargetFactory = (options: TargetFactoryOptions) => SinkTarget;
