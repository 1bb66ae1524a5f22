/**
 * Change-log entries: what the log stores and what replication ships. Stored under the key
 * [database, table, seq] with the value [hlc, origin, originSeq, op, key, record, user, txn?].
 * `txn` (the seq of the first entry its write transaction appended) is only stored on the later
 * entries of a multi-row write; entries without it, older ones included, are their own transaction.
 */

export const CHANGE_OPS = ['insert', 'update', 'upsert', 'delete'] as const;
export type ChangeOp = (typeof CHANGE_OPS)[number];
export const CHANGE_OP_CODES: Record<ChangeOp, number> = { insert: 0, update: 1, upsert: 2, delete: 3 };

export type PrimaryKey = string | number;
export type RecordData = Record<string, unknown>;

export interface ChangeEntry {
  /** Position in this node's log (global, increasing, gaps allowed). */
  seq: number;
  /** Hybrid logical clock timestamp of the write (see hlc.ts). */
  hlc: number;
  /** Name of the node where the write was first made. */
  origin: string;
  /** seq of the entry in the origin node's log. */
  originSeq: number;
  database: string;
  table: string;
  op: ChangeOp;
  key: PrimaryKey;
  /** Full record after the write; null for a delete. */
  record: RecordData | null;
  /** User that made the write at the origin (audit). */
  user: string | null;
  /** Local write transaction: the seq of its first entry (read_audit_log groups by it). */
  txn?: number;
}

export type StoredEntry = [hlc: number, origin: string, originSeq: number, op: number, key: PrimaryKey, record: RecordData | null, user: string | null, txn?: number];
export type EntryKey = [database: string, table: string, seq: number];

export function encodeEntry(e: ChangeEntry): StoredEntry {
  return [e.hlc, e.origin, e.originSeq, CHANGE_OP_CODES[e.op], e.key, e.record, e.user];
}

export function decodeEntry(key: EntryKey, v: StoredEntry): ChangeEntry {
  return {
    seq: key[2], hlc: v[0], origin: v[1], originSeq: v[2], database: key[0], table: key[1],
    op: CHANGE_OPS[v[3]] ?? 'upsert', key: v[4], record: v[5], user: v[6], txn: v[7] ?? key[2],
  };
}
