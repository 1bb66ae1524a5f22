/**
 * Data-grid decisions: which search operation lists a page, column order, sort cycling,
 * filter value typing, and record editor text <-> records. Pure values in, values out.
 */

import type { DataRecord, TableDescription } from './api.js';
import { formatTimestamp } from './format.js';

/** Attributes the server maintains; the editor hides them and never sends them back. */
export const SYSTEM_ATTRIBUTES = ['__createdtime__', '__updatedtime__'] as const;

export function isSystemAttribute(name: string): boolean {
  return (SYSTEM_ATTRIBUTES as readonly string[]).includes(name);
}

export const COMPARATORS = [
  'equals',
  'not_equal',
  'contains',
  'starts_with',
  'ends_with',
  'greater_than',
  'greater_than_equal',
  'less_than',
  'less_than_equal',
] as const;
export type Comparator = (typeof COMPARATORS)[number];

/** Comparators that only make sense on text; their value is never converted to a number. */
const TEXT_COMPARATORS: readonly Comparator[] = ['contains', 'starts_with', 'ends_with'];

export interface SortSpec {
  readonly attribute: string;
  readonly descending: boolean;
}

export interface FilterSpec {
  readonly attribute: string;
  readonly comparator: Comparator;
  /** As typed by the person; see parseFilterValue. */
  readonly value: string;
}

export interface GridQuery {
  /** Zero-based page index. */
  readonly page: number;
  readonly pageSize: number;
  readonly sort: SortSpec | null;
  readonly filter: FilterSpec | null;
}

export const PAGE_SIZES = [10, 25, 50, 100] as const;

export const DEFAULT_QUERY: GridQuery = { page: 0, pageSize: 25, sort: null, filter: null };

/**
 * Types a filter value: numbers, true/false and null become JSON values, "quoted" text is
 * taken literally, anything else is a string. Text comparators always get a string.
 */
export function parseFilterValue(text: string, comparator: Comparator): string | number | boolean | null {
  const t = text.trim();
  if (TEXT_COMPARATORS.includes(comparator)) {
    return /^".*"$/.test(t) ? (JSON.parse(t) as string) : text;
  }
  if (/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(t)) return Number(t);
  if (t === 'true') return true;
  if (t === 'false') return false;
  if (t === 'null') return null;
  if (/^".*"$/.test(t)) {
    try {
      return JSON.parse(t) as string;
    } catch {
      return text;
    }
  }
  return text;
}

/** How an unfiltered page is listed; nodes without the not_equal comparator need `by_value`. */
export type ListingMode = 'conditions' | 'by_value';

/**
 * The operation that fetches one page. It asks for pageSize + 1 rows so the grid knows
 * whether a next page exists without a count query (see splitPage).
 */
export function buildPageOperation(database: string, table: string, hashAttribute: string, query: GridQuery, mode: ListingMode): Record<string, unknown> & { operation: string } {
  const limit = query.pageSize + 1;
  const offset = query.page * query.pageSize;
  if (query.filter === null && mode === 'by_value') {
    const op: Record<string, unknown> & { operation: string } = {
      operation: 'search_by_value',
      database,
      table,
      attribute: hashAttribute,
      value: '*',
      get_attributes: ['*'],
      limit,
      offset,
    };
    return op;
  }
  // Without a filter, "primary key is not null" matches every record and still allows sorting
  // (HarperDB-style servers reject an empty condition list).
  const conditions = query.filter
    ? [{ attribute: query.filter.attribute, comparator: query.filter.comparator, value: parseFilterValue(query.filter.value, query.filter.comparator) }]
    : [{ attribute: hashAttribute, comparator: 'not_equal', value: null }];
  const op: Record<string, unknown> & { operation: string } = {
    operation: 'search_by_conditions',
    database,
    table,
    operator: 'and',
    conditions,
    get_attributes: ['*'],
    limit,
    offset,
  };
  if (query.sort) op['sort'] = { attribute: query.sort.attribute, descending: query.sort.descending };
  return op;
}

/** Cuts the pageSize + 1 answer into the visible rows and whether more exist. */
export function splitPage<T>(rows: readonly T[], pageSize: number): { rows: T[]; hasMore: boolean } {
  return { rows: rows.slice(0, pageSize), hasMore: rows.length > pageSize };
}

/**
 * Sorts rows in the browser; used only when the node cannot sort server-side, and then only
 * within the page (the grid says so).
 */
export function sortRows(rows: readonly DataRecord[], sort: SortSpec | null): DataRecord[] {
  if (!sort) return [...rows];
  const dir = sort.descending ? -1 : 1;
  return [...rows].sort((a, b) => dir * compareValues(a[sort.attribute], b[sort.attribute]));
}

function compareValues(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === undefined || a === null) return -1;
  if (b === undefined || b === null) return 1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a).localeCompare(String(b), undefined, { numeric: true });
}

/** Header click: none -> ascending -> descending -> none (a new column starts ascending). */
export function nextSort(current: SortSpec | null, attribute: string): SortSpec | null {
  if (!current || current.attribute !== attribute) return { attribute, descending: false };
  if (!current.descending) return { attribute, descending: true };
  return null;
}

/**
 * Column order: primary key, then the table's attributes and any extra keys seen in the rows
 * (alphabetical), then the server timestamps.
 */
export function orderColumns(hashAttribute: string, attributes: readonly string[], rows: readonly DataRecord[] = []): string[] {
  const names = new Set<string>(attributes);
  for (const row of rows) for (const key of Object.keys(row)) names.add(key);
  names.delete(hashAttribute);
  const user = [...names].filter((n) => !isSystemAttribute(n)).sort((a, b) => a.localeCompare(b));
  const system = SYSTEM_ATTRIBUTES.filter((n) => names.has(n));
  return [hashAttribute, ...user, ...system];
}

export function attributeNames(desc: TableDescription): string[] {
  return (desc.attributes ?? []).map((a) => a.attribute).filter((a): a is string => typeof a === 'string');
}

/** Display text of one cell: objects as compact JSON, timestamps left as numbers. */
export function formatCell(value: unknown): string {
  if (value === undefined) return '';
  if (value === null) return 'null';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** Display text of a grid cell: server timestamps as local date and time, the rest as formatCell. */
export function formatGridCell(column: string, value: unknown): string {
  if (isSystemAttribute(column) && typeof value === 'number') return formatTimestamp(value);
  return formatCell(value);
}

/**
 * JSON that pre-fills "add record": every known attribute set to null, without the server
 * timestamps and without the primary key (the server generates one when it is missing).
 */
export function newRecordTemplate(desc: TableDescription): string {
  const template: DataRecord = {};
  for (const name of orderColumns(desc.hash_attribute, attributeNames(desc))) {
    if (name === desc.hash_attribute || isSystemAttribute(name)) continue;
    template[name] = null;
  }
  return JSON.stringify(template, null, 2);
}

/** JSON that pre-fills "edit record": the record without server timestamps. */
export function editRecordText(record: DataRecord): string {
  const copy: DataRecord = {};
  for (const [k, v] of Object.entries(record)) if (!isSystemAttribute(k)) copy[k] = v;
  return JSON.stringify(copy, null, 2);
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

function parseJson(text: string): Parsed<unknown> {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (e) {
    return { ok: false, error: `not valid JSON: ${(e as Error).message}` };
  }
}

function isPlainObject(v: unknown): v is DataRecord {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function stripSystem(record: DataRecord): DataRecord {
  const out: DataRecord = {};
  for (const [k, v] of Object.entries(record)) if (!isSystemAttribute(k)) out[k] = v;
  return out;
}

/** Editor text for "add": one object or an array of objects. Server timestamps are dropped. */
export function parseNewRecords(text: string): Parsed<DataRecord[]> {
  const parsed = parseJson(text);
  if (!parsed.ok) return parsed;
  const list = Array.isArray(parsed.value) ? parsed.value : [parsed.value];
  if (list.length === 0) return { ok: false, error: 'the array is empty: add at least one record' };
  if (!list.every(isPlainObject)) return { ok: false, error: 'each record must be a JSON object like {"name": "value"}' };
  return { ok: true, value: list.map(stripSystem) };
}

/**
 * Editor text for "edit": one object whose primary key is unchanged. Update merges, so an
 * attribute removed from the text keeps its old value; the caller says so in the UI.
 */
export function parseEditedRecord(text: string, original: DataRecord, hashAttribute: string): Parsed<DataRecord> {
  const parsed = parseJson(text);
  if (!parsed.ok) return parsed;
  if (!isPlainObject(parsed.value)) return { ok: false, error: 'the record must be one JSON object' };
  const edited = stripSystem(parsed.value);
  if (!(hashAttribute in edited)) return { ok: false, error: `keep the primary key '${hashAttribute}' in the record` };
  if (JSON.stringify(edited[hashAttribute]) !== JSON.stringify(original[hashAttribute])) {
    return { ok: false, error: `the primary key '${hashAttribute}' cannot be changed; add a new record instead` };
  }
  return { ok: true, value: edited };
}

/** Count from a write answer field that may be an array (normal) or a number (3.x delete quirk). */
export function countOf(v: unknown): number {
  if (Array.isArray(v)) return v.length;
  if (typeof v === 'number') return v;
  return 0;
}
