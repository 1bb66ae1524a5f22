/**
 * Ordered reads for query planners (SQL): primary-key and secondary-index ranges in either
 * direction, and O(1) entry counts. Pure iteration over a table's stores; no writes.
 * Ordering is the storage order: booleans < numbers < strings.
 */
import type { PrimaryKey, RecordData } from '../changelog/entry.js';
import type { Key } from '../storage/engine.js';
import type { IndexKey } from './index-keys.js';
import type { TableHandle } from './table-handle.js';

export interface KeyRange {
  /** First key visited (the highest one when reverse). Inclusive. */
  start?: IndexKey;
  /** Reading stops before this key. Exclusive. */
  end?: IndexKey;
  reverse?: boolean;
}

export interface IndexEntry {
  value: IndexKey;
  key: PrimaryKey;
}

/** Records in primary-key order within the range. */
export function* recordsInRange(table: TableHandle, range: KeyRange = {}): Generator<RecordData> {
  for (const { key, value } of table.data.getRange({ start: range.start as Key | undefined, end: range.end as Key | undefined, reverse: range.reverse, snapshot: false })) {
    // Records have string or number keys; the store's shared msgpack structures sit under a symbol.
    if (typeof key !== 'number' && typeof key !== 'string') continue;
    yield table.view(value);
  }
}

/**
 * Records in primary-key order within the range, in arrays of up to `size` (a fresh array each
 * time): one iteration step per batch for consumers that run a tight loop per row (SQL scans).
 */
export function* recordBatches(table: TableHandle, range: KeyRange = {}, size = 256): Generator<RecordData[]> {
  let batch: RecordData[] = [];
  for (const { key, value } of table.data.getRange({ start: range.start as Key | undefined, end: range.end as Key | undefined, reverse: range.reverse, snapshot: false })) {
    if (typeof key !== 'number' && typeof key !== 'string') continue;
    batch.push(table.view(value));
    if (batch.length === size) { yield batch; batch = []; }
  }
  if (batch.length) yield batch;
}

/** (indexed value, primary key) pairs of one attribute's index, in index order within the range. */
export function* indexEntries(table: TableHandle, attribute: string, range: KeyRange = {}): Generator<IndexEntry> {
  for (const { key, value } of table.index(attribute).getRange({ start: range.start as Key | undefined, end: range.end as Key | undefined, reverse: range.reverse, snapshot: false })) {
    yield { value: key as IndexKey, key: value };
  }
}

/** Primary keys indexed under exactly one value. */
export function indexKeysFor(table: TableHandle, attribute: string, value: IndexKey): Iterable<PrimaryKey> {
  return table.index(attribute).getValues(value);
}

/** Entries of an attribute's index (one per record and distinct value), O(1). */
export function indexEntryCount(table: TableHandle, attribute: string): number {
  return table.index(attribute).getCount();
}

/** Records stored within a key range (start inclusive, end exclusive), counted without reading them. */
export function recordCountInRange(table: TableHandle, range: KeyRange): number {
  return table.data.getCount({ start: range.start as Key | undefined, end: range.end as Key | undefined });
}

/** Index entries within a key range (start inclusive, end exclusive), counted without reading them. */
export function indexCountInRange(table: TableHandle, attribute: string, range: KeyRange): number {
  return table.index(attribute).getCount({ start: range.start as Key | undefined, end: range.end as Key | undefined });
}

/** Lowest and highest number an attribute's index holds (two B-tree descents), or null when it holds none. */
export function indexNumberBounds(table: TableHandle, attribute: string): { min: number; max: number } | null {
  const idx = table.index(attribute);
  let min: number | undefined, max: number | undefined;
  for (const k of idx.getKeys({ start: -Number.MAX_VALUE, limit: 1 })) if (typeof k === 'number') min = k;
  for (const k of idx.getKeys({ start: Number.MAX_VALUE, reverse: true, limit: 1 })) if (typeof k === 'number') max = k;
  return min === undefined || max === undefined ? null : { min, max };
}
