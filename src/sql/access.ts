/**
 * Access paths: how the rows of one table are read. Probes are exact keys or ranges within one
 * type section of a key order (booleans < numbers < strings); reading them yields a superset
 * of the matching rows (the WHERE is re-checked on every row), in key order when `ordered`.
 */
import type { TableDef } from '../catalog/catalog.js';
import type { PrimaryKey, RecordData } from '../changelog/entry.js';
import type { IndexKey } from '../records/index-keys.js';
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
}

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

/** Primary keys (index paths) or records (primary-key paths) of a path, in probe order. */
export function* readPath(records: Records, def: TableDef, path: AccessPath): Generator<RecordData> {
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
  // A record sits once in an index per distinct value; only an array value puts it there
  // several times, so only records holding arrays need remembering (probes are disjoint).
  const seen = new Set<PrimaryKey>();
  const fetch = (pk: PrimaryKey): RecordData | undefined => {
    if (seen.has(pk)) return undefined;
    const r = records.get(def, pk);
    if (r && Array.isArray(r[attribute])) seen.add(pk);
    return r;
  };
  for (const p of probes) {
    if (p.kind === 'key') {
      for (const pk of records.indexKeysFor(def, attribute, p.value)) { const r = fetch(pk); if (r) yield r; }
      continue;
    }
    const from = path.reverse ? p.high?.value ?? SECTION_END[p.section] : p.low?.value ?? SECTION_START[p.section];
    for (const e of records.indexEntries(def, attribute, { start: from, reverse: path.reverse })) {
      const w = within(e.value, p);
      if (w === 'in') { const r = fetch(e.key); if (r) yield r; }
      else if ((w === 'after' && !path.reverse) || (w === 'before' && path.reverse)) break;
    }
  }
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
