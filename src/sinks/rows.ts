/**
 * Pure: turning change-log entries into target rows. A batch keeps only the last change of each
 * key (a node logs a key's changes in version order), so a target applies at most one row per
 * key per transaction and the batch's order inside does not matter.
 */
import { CHANGE_OP_CODES, type ChangeEntry, type PrimaryKey, type StoredEntry } from '../changelog/entry.js';
import type { SinkRow } from './target.js';

const INSERT = CHANGE_OP_CODES.insert;
const DELETE = CHANGE_OP_CODES.delete;

/**
 * Collects stored change-log entries (ChangeLog.scanAfter) into one batch: the last change of
 * every key, in order of those last changes, whether every entry was an insert, and the last
 * entry's position and version.
 */
export class BatchCollector {
  #rows: (SinkRow | null)[] = [];
  readonly #at = new Map<PrimaryKey, number>();
  #dropped = 0;
  entries = 0;
  insertOnly = true;
  lastSeq = 0;
  lastHlc = 0;

  add(seq: number, v: StoredEntry): void {
    const key = v[4], op = v[3];
    if (op !== INSERT) this.insertOnly = false;
    const prev = this.#at.get(key);
    if (prev !== undefined) { this.#rows[prev] = null; this.#dropped++; }
    this.#at.set(key, this.#rows.length);
    this.#rows.push({ key, version: v[0], origin: v[1], record: op === DELETE ? null : v[5] });
    this.entries++;
    this.lastSeq = seq;
    this.lastHlc = v[0];
  }

  rows(): SinkRow[] {
    return this.#dropped ? this.#rows.filter((r): r is SinkRow => r !== null) : (this.#rows as SinkRow[]);
  }
}

/** The last change of every key in the entries, in order of those last changes. */
export function collapseEntries(entries: readonly ChangeEntry[]): SinkRow[] {
  const c = new BatchCollector();
  for (const e of entries) c.add(e.seq, [e.hlc, e.origin, e.originSeq, CHANGE_OP_CODES[e.op], e.key, e.record, e.user]);
  return c.rows();
}

/** True when every entry is an insert: the keys were new on this node. */
export function isInsertOnly(entries: readonly ChangeEntry[]): boolean {
  for (const e of entries) if (e.op !== 'insert') return false;
  return true;
}

/** Capped exponential back-off with equal jitter: attempt 0 waits about minMs. */
export function backoffMs(attempt: number, minMs: number, maxMs: number, random = Math.random): number {
  const base = Math.min(maxMs, minMs * 2 ** Math.min(attempt, 30));
  return Math.round(base / 2 + random() * (base / 2));
}
