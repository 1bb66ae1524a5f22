/**
 * Access paths: how the rows of one table are read. Probes are exact keys or ranges within one
 * type section of a key order (booleans < numbers < strings); reading them yields a superset
 * of the matching rows (the WHERE is re-checked on every row), in key order when `ordered`.
 */
import type { TableDef } from '../catalog/catalog.js';
import type { PrimaryKey, RecordData } from '../changelog/entry.js';
import { indexKeyOf, indexKeysOf, type IndexKey } from '../records/index-keys.js';
import type { Records } from '../records/records.js';
import { sortCompare } from './values.js';

export type Section = 'boolean' | 'number' | 'string';

export interface Bound { value: IndexKey; inclusive: boolean }

export type Probe =
  | { kind: 'key'; value: IndexKey }
  | { kind: 'range'; section: Section; low?: Bound; high?: Bound };

export interface AccessPath {
  /** primary_key_lookup, primary_key_range, index_lookup, index_range, index_order, full_scan */
  method: 'primary_key_lookup' | 'primary_key_range' | 'index_lookup' | 'index_range' | 'index_order' | 'full_scan';
  /** The primary key or indexed attribute read (none for a full scan). */
  attribute: string | null;
  probes: Probe[];
  reverse: boolean;
  /**
   * Index paths whose rows need no order: when the keys of the path's lowest and highest values
   * bound a primary-key span holding few other records (keySpanOf), that span is read in key
   * order (no per-row B-tree descent) instead of one record fetch per key. The WHERE re-check
   * drops the span's other records.
   */
  spanFetch?: boolean;
  /** The planner's estimate for a range path: index entries it reads, of the table's records. */
  estimate?: { rows: number; of: number };
  /** Why a full scan was chosen over an index range (EXPLAIN). */
  reason?: string;
}

/** Fetch a primary-key span when it holds at most this many records per matching key. */
export const SPAN_RECORDS_PER_KEY = 1.5;
/** Fewer matching keys than this are always fetched one by one. */
const SPAN_MIN_KEYS = 64;

const SECTION_ORDER: Section[] = ['boolean', 'number', 'string'];
const SECTION_START: Record<Section, IndexKey> = { boolean: false, number: -Number.MAX_VALUE, string: '' };
const SECTION_END: Record<Section, IndexKey> = { boolean: true, number: Number.MAX_VALUE, string: '\uffff\uffff\uffff\uffff' };

function sectionOf(k: unknown): Section | null {
  return typeof k === 'boolean' ? 'boolean' : typeof k === 'number' ? 'number' : typeof k === 'string' ? 'string' : null;
}

/** Probes in key order (reverse: descending), ranges of one section merged by their start. */
function orderedProbes(probes: Probe[], reverse: boolean): Probe[] {
  const start = (p: Probe): IndexKey => (p.kind === 'key' ? p.value : p.low?.value ?? SECTION_START[p.section]);
  const sorted = [...probes].sort((a, b) => {
    const sa = p2s(a), sb = p2s(b);
    if (sa !== sb) return SECTION_ORDER.indexOf(sa) - SECTION_ORDER.indexOf(sb);
    return sortCompare(start(a), start(b));
  });
  return reverse ? sorted.reverse() : sorted;
}

function p2s(p: Probe): Section {
  return p.kind === 'key' ? sectionOf(p.value)! : p.section;
}

function within(k: unknown, p: Extract<Probe, { kind: 'range' }>): 'before' | 'in' | 'after' {
  if (sectionOf(k) !== p.section) return SECTION_ORDER.indexOf(sectionOf(k) ?? 'string') < SECTION_ORDER.indexOf(p.section) ? 'before' : 'after';
  if (p.low) { const d = sortCompare(k, p.low.value); if (d < 0 || (d === 0 && !p.low.inclusive)) return 'before'; }
  if (p.high) { const d = sortCompare(k, p.high.value); if (d > 0 || (d === 0 && !p.high.inclusive)) return 'after'; }
  return 'in';
}

/** The smallest number above x (an exclusive end just past x). */
export function nextUp(x: number): number {
  if (x === 0) return Number.MIN_VALUE;
  const f = new Float64Array([x]);
  const b = new BigInt64Array(f.buffer);
  b[0] = x > 0 ? b[0]! + 1n : b[0]! - 1n;
  return f[0]!;
}

/** Primary keys an index path finds, in probe order (with repeats for array values). */
export function* indexKeysOfPath(records: Records, def: TableDef, attribute: string, probes: Probe[], reverse: boolean): Generator<PrimaryKey> {
  for (const p of probes) {
    if (p.kind === 'key') { yield* records.indexKeysFor(def, attribute, p.value); continue; }
    const from = reverse ? p.high?.value ?? SECTION_END[p.section] : p.low?.value ?? SECTION_START[p.section];
    for (const e of records.indexEntries(def, attribute, { start: from, reverse })) {
      const w = within(e.value, p);
      if (w === 'in') yield e.key;
      else if ((w === 'after' && !reverse) || (w === 'before' && reverse)) break;
    }
  }
}

/** The key right after k in the index order (an exclusive end that takes k in). */
function after(k: IndexKey): IndexKey {
  return typeof k === 'number' ? nextUp(k) : typeof k === 'string' ? k + '\u0000' : k ? -Number.MAX_VALUE : true;
}

/** [start, end) of a probe in index order, for native counts; exactly the entries `within` places in it. */
function probeBounds(p: Probe): { start: IndexKey; end: IndexKey | undefined } {
  if (p.kind === 'key') return { start: p.value, end: after(p.value) };
  const start = p.low ? (p.low.inclusive ? p.low.value : after(p.low.value)) : SECTION_START[p.section];
  const end = p.high ? (p.high.inclusive ? after(p.high.value) : p.high.value) : p.section === 'boolean' ? -Number.MAX_VALUE : p.section === 'number' ? '' : undefined;
  return { start, end };
}

/** Index entries a path's probes read (disjoint probes), counted natively. */
export function countEntries(records: Records, def: TableDef, attribute: string, probes: Probe[]): number {
  let n = 0;
  for (const p of probes) n += records.indexCountInRange(def, attribute, probeBounds(p));
  return n;
}

/** Index entries a batch of records holds within the probes (the span check of readPathBatches). */
export function entriesInBatch(batch: readonly RecordData[], attribute: string, probes: Probe[]): number {
  let met = 0;
  for (let i = 0; i < batch.length; i++) met += entriesIn(batch[i]![attribute], probes);
  return met;
}

/** Entries an index holds for one record's value that fall in the probes (one per distinct key). */
function entriesIn(v: unknown, probes: Probe[]): number {
  // The common case, a finite number: only number keys and number ranges can hold it (a string section
  // probed beside them cannot), placed without the general comparison.
  if (typeof v === 'number' && Number.isFinite(v)) {
    for (const p of probes) {
      if (p.kind === 'key') { if (p.value === v) return 1; continue; }
      if (p.section !== 'number') continue;
      const lo = p.low, hi = p.high;
      if (lo && (v < (lo.value as number) || (v === lo.value && !lo.inclusive))) continue;
      if (hi && (v > (hi.value as number) || (v === hi.value && !hi.inclusive))) continue;
      return 1;
    }
    return 0;
  }
  if (!Array.isArray(v)) { const k = indexKeyOf(v); return k !== undefined && inProbes(k, probes) ? 1 : 0; }
  let n = 0;
  for (const k of indexKeysOf(v)) if (inProbes(k, probes)) n++;
  return n;
}

function inProbes(k: IndexKey, probes: Probe[]): boolean {
  for (const p of probes) if (p.kind === 'key' ? p.value === k : within(k, p) === 'in') return true;
  return false;
}

/** First primary key a probe finds, from its low end (or its high end when reverse). */
function firstKeyOf(records: Records, def: TableDef, attribute: string, p: Probe, reverse: boolean): PrimaryKey | undefined {
  for (const pk of indexKeysOfPath(records, def, attribute, [p], reverse)) return pk;
  return undefined;
}

export interface KeySpan { start: number; end: number; entries: number }

/**
 * A guessed primary-key span of an index path's keys, worth reading in key order instead of
 * fetching each key, or null. The path's entries are counted natively (no decoding); the span
 * runs between the keys of the lowest and the highest indexed value, and is taken when it
 * holds at most SPAN_RECORDS_PER_KEY records per entry. It is only a guess: readPath counts
 * the entries it meets in the span and fetches the keys outside when some are missing.
 * `entries` may be given as an estimate (the parallel aggregate counts exactly later, off its
 * critical path); the choice then only changes speed, and `entries` of the result is that estimate.
 */
export function keySpanOf(records: Records, def: TableDef, attribute: string, probes: Probe[], entries = countEntries(records, def, attribute, probes)): KeySpan | null {
  if (entries < SPAN_MIN_KEYS) return null;
  // The keys of the lowest and highest values: from the first and last probes that find any (some are empty,
  // such as the string section a number literal also probes).
  const sorted = orderedProbes(probes, false);
  let a: PrimaryKey | undefined, b: PrimaryKey | undefined;
  for (let i = 0; i < sorted.length && a === undefined; i++) a = firstKeyOf(records, def, attribute, sorted[i]!, false);
  for (let i = sorted.length - 1; i >= 0 && b === undefined; i--) b = firstKeyOf(records, def, attribute, sorted[i]!, true);
  if (typeof a !== 'number' || typeof b !== 'number') return null;
  const span = { start: Math.min(a, b), end: nextUp(Math.max(a, b)), entries };
  // Whole-number keys: the span cannot hold more records than it has whole numbers, so a span narrow
  // enough needs no count (keys with fractions in it only make it slower, never change the rows).
  const lo = Math.min(a, b), hi = Math.max(a, b);
  if (Number.isInteger(lo) && Number.isInteger(hi) && hi - lo + 1 <= entries * SPAN_RECORDS_PER_KEY) return span;
  return records.recordCountInRange(def, span) <= entries * SPAN_RECORDS_PER_KEY ? span : null;
}

/**
 * Records of a path (index paths: fetched by the keys found), in probe order. A path with
 * spanFetch may also yield null while it reads keys only: no row, a chance to yield.
 */
export function* readPath(records: Records, def: TableDef, path: AccessPath): Generator<RecordData | null> {
  if (path.method === 'full_scan') {
    yield* records.recordsInRange(def, { reverse: path.reverse });
    return;
  }
  const probes = orderedProbes(path.probes, path.reverse);
  if (path.attribute === def.hashAttribute) {
    for (const p of probes) {
      if (p.kind === 'key') { const r = records.get(def, p.value as PrimaryKey); if (r) yield r; continue; }
      const from = path.reverse ? p.high?.value ?? SECTION_END[p.section] : p.low?.value ?? SECTION_START[p.section];
      for (const r of records.recordsInRange(def, { start: from, reverse: path.reverse })) {
        const w = within(r[def.hashAttribute], p);
        if (w === 'in') yield r;
        else if ((w === 'after' && !path.reverse) || (w === 'before' && path.reverse)) break;
      }
    }
    return;
  }
  const attribute = path.attribute!;
  let span: KeySpan | null = null;
  if (path.spanFetch && (span = keySpanOf(records, def, attribute, path.probes))) {
    let met = 0;
    for (const r of records.recordsInRange(def, span)) { met += entriesIn(r[attribute], path.probes); yield r; }
    if (met >= span.entries) return;
  }
  yield* fetchByIndex(records, def, attribute, probes, path.reverse, span);
}

/** Records of an index path fetched one by one by the keys found, skipping the keys of a span already read. */
function* fetchByIndex(records: Records, def: TableDef, attribute: string, probes: Probe[], reverse: boolean, span: KeySpan | null): Generator<RecordData | null> {
  // A record sits once in an index per distinct value; only an array value puts it there
  // several times, so only records holding arrays need remembering (probes are disjoint).
  const seen = new Set<PrimaryKey>();
  const fetch = (pk: PrimaryKey): RecordData | undefined => {
    if (seen.has(pk)) return undefined;
    const r = records.get(def, pk);
    if (r && Array.isArray(r[attribute])) seen.add(pk);
    return r;
  };
  let n = 0;
  for (const pk of indexKeysOfPath(records, def, attribute, probes, reverse)) {
    // Keys inside a span already read were met there; skipping them can leave long runs without a row.
    if (span && typeof pk === 'number' && pk >= span.start && pk < span.end) { if ((++n & 255) === 0) yield null; continue; }
    const r = fetch(pk);
    if (r) yield r;
  }
}

/** Rows per batch of readPathBatches. */
const BATCH = 256;

/**
 * The rows of readPath in arrays (possibly empty: a chance to yield while only keys are read),
 * the same rows in the same order. Scans (full and primary-key spans) read their batches
 * straight from the store, so a tight per-row loop pays one iteration step per batch.
 */
export function* readPathBatches(records: Records, def: TableDef, path: AccessPath): Generator<RecordData[]> {
  if (path.method === 'full_scan') {
    yield* records.recordBatches(def, { reverse: path.reverse }, BATCH);
    return;
  }
  if (path.attribute !== def.hashAttribute && path.spanFetch) {
    const attribute = path.attribute!;
    const span = keySpanOf(records, def, attribute, path.probes);
    if (span) {
      let met = 0;
      for (const b of records.recordBatches(def, span, BATCH)) {
        met += entriesInBatch(b, attribute, path.probes);
        yield b;
      }
      if (met >= span.entries) return;
    }
    yield* outsideSpan(records, def, attribute, path.probes, path.reverse, span);
    return;
  }
  yield* batched(readPath(records, def, path));
}

/**
 * The rows of an index path whose keys lie outside a span already read (all of them when span is null), in
 * batches: what a span read that met fewer index entries than the probes hold still has to fetch.
 */
export function outsideSpan(records: Records, def: TableDef, attribute: string, probes: Probe[], reverse: boolean, span: KeySpan | null): Generator<RecordData[]> {
  return batched(fetchByIndex(records, def, attribute, orderedProbes(probes, reverse), reverse, span));
}

function* batched(rows: Iterable<RecordData | null>): Generator<RecordData[]> {
  let b: RecordData[] = [];
  for (const r of rows) {
    if (r === null) { yield b; b = []; continue; }
    b.push(r);
    if (b.length === BATCH) { yield b; b = []; }
  }
  if (b.length) yield b;
}

/**
 * Index entries a path's probes read, estimated in O(log n): number ranges by interpolating
 * between the index's lowest and highest number (uniform spread assumed), other probes by a
 * native count of their entries.
 */
export function estimateIndexRows(records: Records, def: TableDef, attribute: string, probes: Probe[]): number {
  let rows = 0;
  let bounds: { min: number; max: number } | null | undefined;
  for (const p of probes) {
    if (p.kind === 'key') {
      const k = p.value;
      const end = typeof k === 'number' ? nextUp(k) : typeof k === 'string' ? k + '\u0000' : k ? -Number.MAX_VALUE : true;
      rows += records.indexCountInRange(def, attribute, { start: k, end });
      continue;
    }
    if (p.section === 'number') {
      bounds ??= records.indexNumberBounds(def, attribute);
      if (!bounds) continue;
      const lo = Math.max(bounds.min, typeof p.low?.value === 'number' ? p.low.value : -Infinity);
      const hi = Math.min(bounds.max, typeof p.high?.value === 'number' ? p.high.value : Infinity);
      if (hi < lo) continue;
      const fraction = bounds.max > bounds.min ? (hi - lo) / (bounds.max - bounds.min) : 1;
      rows += Math.ceil(fraction * records.indexEntryCount(def, attribute));
      continue;
    }
    const start = p.low?.value ?? SECTION_START[p.section];
    const end = p.high ? (typeof p.high.value === 'string' ? p.high.value + '\u0000' : p.high.value === false ? true : -Number.MAX_VALUE) : (p.section === 'boolean' ? -Number.MAX_VALUE : SECTION_END[p.section]);
    rows += records.indexCountInRange(def, attribute, { start, end });
  }
  return rows;
}

/** Human-readable form of the probes, for EXPLAIN. */
export function describeProbes(probes: Probe[]): string[] {
  return probes.map((p) => {
    if (p.kind === 'key') return `= ${JSON.stringify(p.value)}`;
    const lo = p.low ? `${p.low.inclusive ? '>=' : '>'} ${JSON.stringify(p.low.value)}` : '';
    const hi = p.high ? `${p.high.inclusive ? '<=' : '<'} ${JSON.stringify(p.high.value)}` : '';
    return [lo, hi].filter(Boolean).join(' and ') || `all ${p.section}s`;
  });
}
