/**
 * Pure: turning change-log entries into target rows. A batch keeps only the last change of each
 * key (a node logs a key's changes in version order), so a target applies at most one row per
 * key per transaction and the batch's order inside does not matter.
 */
import type { ChangeEntry } from '../changelog/entry.js';
import type { SinkRow } from './target.js';

/** The last change of every key in the entries, in order of those last changes. */
export function collapseEntries(entries: readonly ChangeEntry[]): SinkRow[] {
  const last = new Map<string | number, SinkRow>();
  for (const e of entries) {
    last.delete(e.key);
    last.set(e.key, { key: e.key, version: e.hlc, origin: e.origin, record: e.op === 'delete' ? null : e.record });
  }
  return [...last.values()];
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
