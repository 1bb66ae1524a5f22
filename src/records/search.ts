/**
 * Query execution over one table: picks an index (or the primary key) for the most selective
 * usable condition of an AND group, fetches candidates, re-checks every condition on the
 * record, then sorts and pages. Everything else is a full scan.
 */
import type { PrimaryKey, RecordData } from '../changelog/entry.js';
import type { Key } from '../storage/engine.js';
import { compareValues, matches, type Condition, type Group } from './conditions.js';
import { indexKeyOf } from './index-keys.js';
import { pagedBatches, SLICE_MS, Slicer } from './slicer.js';
import type { TableHandle } from './table-handle.js';

export interface SortSpec {
  attribute: string;
  descending: boolean;
}

export interface QueryOptions {
  filter: Group | null;
  sort?: SortSpec[];
  limit?: number;
  offset?: number;
}

const INDEXABLE = new Set(['equals', 'starts_with', 'greater_than', 'greater_than_equal', 'less_than', 'less_than_equal', 'between']);

/** Conditions of a filter that an index could serve (top-level AND only; equals only for indexable values). */
export function indexableConditions(filter: Group | null): Condition[] {
  if (!filter || (filter.operator === 'or' && filter.conditions.length > 1)) return [];
  return filter.conditions.filter((c): c is Condition => c.kind === 'condition' && INDEXABLE.has(c.comparator) && !(c.value instanceof RegExp)
    // values the indexes do not hold ('' , null, objects) are found by a scan
    && (c.comparator !== 'equals' || indexKeyOf(c.value) !== undefined));
}

/** Rows in one batch of queryBatches() (what a streamed response serialises at a time). */
export const QUERY_BATCH_ROWS = 2000;

/**
 * Runs a query; yields the matching records (sorted and paged) in batches of up to
 * QUERY_BATCH_ROWS. Without a sort only one batch is held at a time, so the caller can send a
 * result of any size; a sort holds every match, or with a limit at most twice offset + limit. A long read gives the event loop back every
 * SLICE_MS, so a search over a large table does not hold other requests.
 */
export async function* queryBatches(table: TableHandle, q: QueryOptions): AsyncGenerator<RecordData[]> {
  const slicer = new Slicer(SLICE_MS);
  const offset = Math.max(0, q.offset ?? 0);
  const limit = q.limit === undefined ? Infinity : Math.max(0, q.limit);
  if (limit === 0) return;
  const filter = q.filter;
  const keep = filter ? (r: RecordData) => matches(r, filter) : () => true;
  if (q.sort && q.sort.length) {
    const sort = q.sort;
    // Sorted by the primary key alone, without an index to read: read in key order and stop at the limit.
    const ordered = sort.length === 1 && sort[0]!.attribute === table.def.hashAttribute && !pickOf(table, filter) ? inKeyOrder(table, sort[0]!.descending) : null;
    if (ordered) {
      yield* pagedBatches(ordered, keep, (r) => r, offset, offset + limit, slicer, QUERY_BATCH_ROWS);
      return;
    }
    const cmp = (a: RecordData, b: RecordData) => {
      for (const s of sort) {
        const d = compareValues(a[s.attribute], b[s.attribute]);
        if (d !== 0) return s.descending ? -d : d;
      }
      return 0;
    };
    // With a limit only the first offset + limit matter: the buffer is cut back to them whenever
    // it doubles (the sort is stable, so ties keep the order a full sort gives them).
    const wanted = offset + limit;
    const all: RecordData[] = [];
    for (const record of candidates(table, filter)) {
      const pause = slicer.tick(); if (pause) await pause;
      if (!keep(record)) continue;
      all.push(record);
      if (all.length >= Math.max(2 * wanted, 1024)) { all.sort(cmp); all.length = wanted; }
    }
    all.sort(cmp);
    const end = Math.min(all.length, wanted);
    for (let i = offset; i < end; i += QUERY_BATCH_ROWS) yield all.slice(i, Math.min(end, i + QUERY_BATCH_ROWS));
    return;
  }
  yield* pagedBatches(candidates(table, filter), keep, (r) => r, offset, offset + limit, slicer, QUERY_BATCH_ROWS);
}

/** Runs a query; returns every matching record (sorted and paged) in one array. */
export async function runQuery(table: TableHandle, q: QueryOptions): Promise<RecordData[]> {
  const out: RecordData[] = [];
  for await (const batch of queryBatches(table, q)) for (const r of batch) out.push(r);
  return out;
}

/** The condition candidates() reads through the primary key or an index; undefined for a full scan. */
function pickOf(table: TableHandle, filter: Group | null): Condition | undefined {
  const usable = indexableConditions(filter);
  const hash = table.def.hashAttribute;
  return usable.find((c) => c.comparator === 'equals' && (c.attribute === hash || table.def.indexed.includes(c.attribute)))
    ?? usable.find((c) => c.attribute === hash || table.def.indexed.includes(c.attribute));
}

/**
 * Every record in primary-key order (reversed when `descending`) when that order is the one the
 * sort compares by: when every key is a number (the greatest key in storage order is one, as
 * strings sort after numbers). Strings are stored in UTF-8 byte order, which differs from the
 * sort's for some characters, so a table with string keys is sorted in memory. Null otherwise.
 */
function inKeyOrder(table: TableHandle, descending: boolean): Iterable<RecordData> | null {
  for (const key of table.data.getKeys({ reverse: true, limit: 2 })) {
    if (typeof key === 'string') return null;
    if (typeof key === 'number') break;
  }
  return (function* () {
    for (const { key, value } of table.data.getRange({ reverse: descending, snapshot: false })) {
      if (typeof key === 'number') yield table.view(value);
    }
  })();
}

function* candidates(table: TableHandle, filter: Group | null): Generator<RecordData> {
  const hash = table.def.hashAttribute;
  const pick = pickOf(table, filter);
  if (!pick) {
    // No snapshot: the read yields between slices, and holding one would keep LMDB from reusing pages.
    for (const { value } of table.data.getRange({ snapshot: false })) yield table.view(value);
    return;
  }
  if (pick.attribute === hash) {
    if (pick.comparator === 'equals') {
      const r = isKey(pick.value) ? table.data.get(pick.value) : undefined;
      if (r) yield table.view(r);
      return;
    }
    for (const { key, value } of table.data.getRange({ ...rangeFor(pick), snapshot: false })) {
      if (beyond(key, pick)) break;
      yield table.view(value);
    }
    return;
  }
  const idx = table.index(pick.attribute);
  const seen = new Set<PrimaryKey>();
  const fetch = function* (pk: PrimaryKey): Generator<RecordData> {
    if (seen.has(pk)) return;
    seen.add(pk);
    const r = table.data.get(pk);
    if (r) yield table.view(r);
  };
  if (pick.comparator === 'equals') {
    const k = indexKeyOf(pick.value);
    if (k === undefined) return;
    for (const pk of idx.getValues(k)) yield* fetch(pk);
    return;
  }
  for (const { key, value } of idx.getRange({ ...rangeFor(pick), snapshot: false })) {
    if (beyond(key, pick)) break;
    yield* fetch(value);
  }
}

function isKey(v: unknown): v is PrimaryKey {
  return typeof v === 'string' || typeof v === 'number';
}

function rangeFor(c: Condition): { start?: Key } {
  switch (c.comparator) {
    case 'starts_with':
      return { start: String(c.value) };
    case 'greater_than':
    case 'greater_than_equal':
      return { start: c.value as Key };
    case 'between':
      return { start: (c.value as Key[])[0] };
    default:
      return {};
  }
}

/** True once the ordered iteration has passed every key the condition could match. */
function beyond(key: Key, c: Condition): boolean {
  switch (c.comparator) {
    case 'starts_with':
      return typeof key !== 'string' || (!key.startsWith(String(c.value)) && key > String(c.value));
    case 'greater_than':
    case 'greater_than_equal':
      return typeof key !== typeof c.value;
    case 'less_than':
      return typeof key === typeof c.value && compareValues(key, c.value) >= 0 || rankAfter(key, c.value);
    case 'less_than_equal':
      return typeof key === typeof c.value && compareValues(key, c.value) > 0 || rankAfter(key, c.value);
    case 'between':
      return compareValues(key, (c.value as unknown[])[1]) > 0;
    default:
      return false;
  }
}

function rankAfter(key: unknown, value: unknown): boolean {
  return compareValues(key, value) > 0 && typeof key !== typeof value;
}
