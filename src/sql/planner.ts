/**
 * Chooses how to read the first table of a statement from its WHERE conjuncts: primary-key
 * lookups, secondary-index lookups, key or index ranges, an index read in ORDER BY order, or a
 * full scan. A literal compared with an attribute may match values of other types (a number
 * matches a numeric string), so a predicate becomes probes in every type section it can match.
 */
import type { TableDef } from '../catalog/catalog.js';
import { indexKeyOf, INDEX_PREFIX_CHARS, type IndexKey } from '../records/index-keys.js';
import type { Records } from '../records/records.js';
import type { Expr } from './ast.js';
import { estimateIndexRows, type AccessPath, type Bound, type Probe, type Section } from './access.js';
import { constantOf, type Scope } from './compile.js';
import { isNull, isNumericString, sortCompare } from './values.js';

/** `emptyOk`: the empty string satisfies it (empty strings are not indexed, so no index can serve it). */
interface SectionSpec { keys?: IndexKey[]; low?: Bound; high?: Bound; emptyOk?: boolean }
type Constraint = Partial<Record<Section, SectionSpec>>;

const SECTIONS: Section[] = ['boolean', 'number', 'string'];
const FLIP: Record<string, string> = { '<': '>', '<=': '>=', '>': '<', '>=': '<=', '=': '=' };

/** The top-level AND terms of a condition. */
export function conjuncts(e: Expr | null): Expr[] {
  if (!e) return [];
  if (e.kind === 'bin' && e.op === 'AND') return [...conjuncts(e.left), ...conjuncts(e.right)];
  return [e];
}

/** Source indexes a condition reads. */
export function sourcesOf(e: Expr, scope: Scope, out = new Set<number>()): Set<number> {
  switch (e.kind) {
    case 'col': out.add(scope.resolve(e.table, e.name)); break;
    case 'bin': sourcesOf(e.left, scope, out); sourcesOf(e.right, scope, out); break;
    case 'not': case 'neg': case 'isnull': sourcesOf(e.expr, scope, out); break;
    case 'in': sourcesOf(e.expr, scope, out); for (const x of e.list) sourcesOf(x, scope, out); break;
    case 'between': sourcesOf(e.expr, scope, out); sourcesOf(e.low, scope, out); sourcesOf(e.high, scope, out); break;
    case 'like': sourcesOf(e.expr, scope, out); sourcesOf(e.pattern, scope, out); break;
    case 'fn': for (const x of e.args) sourcesOf(x, scope, out); break;
    case 'agg': if (e.arg) sourcesOf(e.arg, scope, out); break;
    default: break;
  }
  return out;
}

/** Exact index key of a literal for a store (index keys of long strings are prefixes). */
function keyFor(v: unknown, isPrimary: boolean): IndexKey | undefined {
  if (isPrimary) return typeof v === 'number' && Number.isFinite(v) ? v : typeof v === 'string' && v !== '' ? v : undefined;
  return indexKeyOf(v);
}

/** Constraint of `attribute = v`: the sections and keys that can hold an equal value. */
function equalsConstraint(v: unknown, isPrimary: boolean): Constraint | null {
  if (isNull(v)) return {};
  if (typeof v === 'number') {
    const k = keyFor(v, isPrimary);
    if (k === undefined) return null;
    // A primary key is an identity: a number also matches its canonical string spelling only.
    return isPrimary ? { number: { keys: [k] }, string: { keys: [String(v)] } } : { number: { keys: [k] }, string: {} };
  }
  if (typeof v === 'string') {
    if (v === '' || (!isPrimary && v.length > INDEX_PREFIX_CHARS)) return null;
    const c: Constraint = { string: { keys: [v] } };
    if (isNumericString(v) && Number.isFinite(Number(v))) c.number = { keys: [Number(v)] };
    return c;
  }
  if (typeof v === 'boolean' && !isPrimary) return { boolean: { keys: [v] } };
  return null;
}

/** Constraint of `attribute OP v` for an ordering operator. */
function rangeConstraint(op: string, v: unknown, isPrimary: boolean): Constraint | null {
  if (isNull(v)) return {};
  const bound = (value: IndexKey): SectionSpec => {
    const inclusive = op === '>=' || op === '<=';
    return op === '>' || op === '>=' ? { low: { value, inclusive } } : { high: { value, inclusive } };
  };
  if (typeof v === 'number') return Number.isFinite(v) ? { number: bound(v), string: {} } : null;
  if (typeof v === 'string') {
    // A long string bound is cut to the index prefix and made inclusive (a superset).
    const s = !isPrimary && v.length > INDEX_PREFIX_CHARS ? v.slice(0, INDEX_PREFIX_CHARS) : v;
    const spec = s === v ? bound(s) : { ...bound(s), ...(op.startsWith('>') ? { low: { value: s, inclusive: true } } : { high: { value: s, inclusive: true } }) };
    const emptyOk = op === '<=' || (op === '<' && v !== '') || (op === '>=' && v === '');
    const c: Constraint = { string: { ...spec, emptyOk } };
    if (isNumericString(v) && Number.isFinite(Number(v))) c.number = bound(Number(v));
    return c;
  }
  if (typeof v === 'boolean' && !isPrimary) return { boolean: bound(v) };
  return null;
}

function tighter(a: Bound | undefined, b: Bound | undefined, pick: 1 | -1): Bound | undefined {
  if (!a) return b;
  if (!b) return a;
  const d = sortCompare(a.value, b.value) * pick;
  if (d > 0) return a;
  if (d < 0) return b;
  return { value: a.value, inclusive: a.inclusive && b.inclusive };
}

function intersect(a: Constraint, b: Constraint): Constraint {
  const out: Constraint = {};
  for (const s of ['boolean', 'number', 'string'] as Section[]) {
    const x = a[s], y = b[s];
    if (!x || !y) continue;
    const spec: SectionSpec = { low: tighter(x.low, y.low, 1), high: tighter(x.high, y.high, -1), emptyOk: Boolean(x.emptyOk && y.emptyOk) };
    if (x.keys && y.keys) { const ys = new Set(y.keys); spec.keys = x.keys.filter((k) => ys.has(k)); }
    else spec.keys = x.keys ?? y.keys;
    out[s] = spec;
  }
  return out;
}

/** `attribute -> constraint` of one conjunct over source 0, or null when it constrains nothing usable. */
function constraintOf(e: Expr, scope: Scope, def: TableDef): { attribute: string; c: Constraint } | null {
  const colOf = (x: Expr): string | null => (x.kind === 'col' && scope.resolve(x.table, x.name) === 0 ? x.name : null);
  const usable = (a: string | null): a is string => a !== null && (a === def.hashAttribute || def.indexed.includes(a));
  if (e.kind === 'bin' && FLIP[e.op]) {
    let attr = colOf(e.left), other = e.right, op: string = e.op;
    if (!attr) { attr = colOf(e.right); other = e.left; op = FLIP[e.op]!; }
    const k = constantOf(other, scope.params);
    if (!usable(attr) || !k) return null;
    const c = op === '=' ? equalsConstraint(k.value, attr === def.hashAttribute) : rangeConstraint(op, k.value, attr === def.hashAttribute);
    return c ? { attribute: attr, c } : null;
  }
  if (e.kind === 'between' && !e.negated) {
    const attr = colOf(e.expr), lo = constantOf(e.low, scope.params), hi = constantOf(e.high, scope.params);
    if (!usable(attr) || !lo || !hi) return null;
    const a = rangeConstraint('>=', lo.value, attr === def.hashAttribute), b = rangeConstraint('<=', hi.value, attr === def.hashAttribute);
    return a && b ? { attribute: attr, c: intersect(a, b) } : null;
  }
  if (e.kind === 'in' && !e.negated) {
    const attr = colOf(e.expr);
    if (!usable(attr)) return null;
    // Union of the items' constraints: key sets per section, or the whole section.
    const keys: Partial<Record<Section, Set<IndexKey>>> = {};
    const whole = new Set<Section>();
    for (const item of e.list) {
      const k = constantOf(item, scope.params);
      const one = k ? equalsConstraint(k.value, attr === def.hashAttribute) : null;
      if (!one) return null;
      for (const sec of SECTIONS) {
        const spec = one[sec];
        if (!spec) continue;
        if (spec.keys) for (const key of spec.keys) (keys[sec] ??= new Set()).add(key);
        else whole.add(sec);
      }
    }
    const c: Constraint = {};
    for (const sec of SECTIONS) {
      if (whole.has(sec)) c[sec] = {};
      else if (keys[sec]) c[sec] = { keys: [...keys[sec]!] };
    }
    return { attribute: attr, c };
  }
  return null;
}

/** Probes serving a constraint, or null when an index cannot (it would have to find empty strings). */
function toProbes(c: Constraint): Probe[] | null {
  const probes: Probe[] = [];
  if (c.string?.emptyOk && !c.string.keys) return null;
  for (const s of ['boolean', 'number', 'string'] as Section[]) {
    const spec = c[s];
    if (!spec) continue;
    if (spec.keys) {
      for (const k of spec.keys) {
        const inLow = !spec.low || sortCompare(k, spec.low.value) > 0 || (spec.low.inclusive && sortCompare(k, spec.low.value) === 0);
        const inHigh = !spec.high || sortCompare(k, spec.high.value) < 0 || (spec.high.inclusive && sortCompare(k, spec.high.value) === 0);
        if (inLow && inHigh) probes.push({ kind: 'key', value: k });
      }
    } else probes.push({ kind: 'range', section: s, low: spec.low, high: spec.high });
  }
  return probes;
}

/** An unordered index range estimated to read at least this share of the rows becomes a full scan. */
export const FULL_SCAN_FRACTION = 0.5;
/** Tables smaller than this keep their index range (the choice does not matter there). */
const FULL_SCAN_MIN_ROWS = 16;

/**
 * Largest estimated range read by a primary-key span: choosing one counts the range's index
 * entries natively, in one call that does not yield (about 5 ms per 100,000 entries here).
 */
const SPAN_MAX_ENTRIES = 200_000;

export interface OrderHint { attribute: string; descending: boolean }

/**
 * The access path of the first table. `order` asks for rows in one attribute's order (ORDER BY
 * with LIMIT); the path is ordered when its method reads that attribute's keys.
 */
export function chooseAccess(records: Records, def: TableDef, scope: Scope, where: Expr[], order: OrderHint | null): AccessPath & { ordered: boolean; orderAttribute: string | null } {
  const path = choosePath(records, def, scope, where, order);
  return { ...path, orderAttribute: path.ordered ? order!.attribute : null };
}

function choosePath(records: Records, def: TableDef, scope: Scope, where: Expr[], order: OrderHint | null): AccessPath & { ordered: boolean } {
  const byAttr = new Map<string, Constraint>();
  for (const e of where) {
    const r = constraintOf(e, scope, def);
    if (!r) continue;
    const prev = byAttr.get(r.attribute);
    byAttr.set(r.attribute, prev ? intersect(prev, r.c) : r.c);
  }
  const candidates = [...byAttr].flatMap(([attribute, c]) => {
    const probes = toProbes(c);
    if (!probes) return [];
    const keysOnly = probes.every((p) => p.kind === 'key');
    const primary = attribute === def.hashAttribute;
    const score = (keysOnly ? 0 : 2) + (primary ? 0 : 1);
    return [{ attribute, probes, keysOnly, primary, score }];
  }).sort((a, b) => a.score - b.score || a.probes.length - b.probes.length);
  const best = candidates[0];
  // Reading an index in order finds every row only if each row has exactly one entry (no NULLs),
  // or when the WHERE constrains that attribute (NULLs cannot match then).
  const orderUsable = order && records.isIndexed(def, order.attribute)
    && (order.attribute === def.hashAttribute || candidates.some((c) => c.attribute === order.attribute) || records.indexEntryCount(def, order.attribute) === records.count(def)) ? order : null;
  if (best && (best.keysOnly || !orderUsable || best.attribute === orderUsable.attribute)) {
    const ordered = Boolean(orderUsable && best.attribute === orderUsable.attribute);
    const reverse = ordered && orderUsable!.descending;
    const method = best.primary ? (best.keysOnly ? 'primary_key_lookup' : 'primary_key_range') : best.keysOnly ? 'index_lookup' : 'index_range';
    if (method !== 'index_range' || ordered) return { method, attribute: best.attribute, probes: best.probes, reverse, ordered };
    // An unordered index range: when it reads a large part of the table, one key-order scan
    // (no index read, no per-row fetch) is cheaper; the WHERE is re-checked on every row anyway.
    const estimate = { rows: estimateIndexRows(records, def, best.attribute, best.probes), of: records.count(def) };
    if (estimate.of >= FULL_SCAN_MIN_ROWS && estimate.rows >= estimate.of * FULL_SCAN_FRACTION) {
      return { method: 'full_scan', attribute: null, probes: [], reverse: false, ordered: false, estimate, reason: `index range on '${best.attribute}' reads about ${estimate.rows} of ${estimate.of} rows` };
    }
    return { method, attribute: best.attribute, probes: best.probes, reverse, ordered, spanFetch: estimate.rows <= SPAN_MAX_ENTRIES, estimate };
  }
  if (orderUsable) {
    const all: Probe[] = [{ kind: 'range', section: 'boolean' }, { kind: 'range', section: 'number' }, { kind: 'range', section: 'string' }];
    if (orderUsable.attribute === def.hashAttribute) return { method: 'full_scan', attribute: null, probes: [], reverse: orderUsable.descending, ordered: true };
    return { method: 'index_order', attribute: orderUsable.attribute, probes: all, reverse: orderUsable.descending, ordered: true };
  }
  return { method: 'full_scan', attribute: null, probes: [], reverse: false, ordered: false };
}

/** Lookup probes for an equality join on an indexed attribute (index nested loop). */
export function equalityProbes(v: unknown, isPrimary: boolean): Probe[] | null {
  const c = equalsConstraint(v, isPrimary);
  return c ? toProbes(c) : null;
}
