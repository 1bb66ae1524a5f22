/**
 * Pure columnar encoding of a run of change-log entries of one table (the body of a BATCH
 * frame, before compression). Layout:
 *   uint rowCount
 *   column seq | column hlc | column origin | column originSeq | column op | column user
 *   column key
 *   uint attributeCount, attribute names (length-prefixed UTF-8)
 *   uint shapeCount, per shape: uint length, uint attribute index...
 *   column shape       (0 = no record (delete), i+1 = shapes[i])
 *   one column per attribute: the values of that attribute in the rows whose shape has it
 * A "shape" is a record's attribute names in order, so missing attributes cost nothing and
 * decoded records keep their attribute order. Columns use column-codec.ts (delta, scaled
 * decimals, dictionaries); the whole body is then compressed by the frame codec.
 */
import { CHANGE_OPS, type ChangeEntry, type ChangeOp, type PrimaryKey, type RecordData } from '../../changelog/entry.js';
import { ByteReader, ByteWriter, ProtocolError } from './bytes.js';
import { decodeColumn, encodeColumn } from './column-codec.js';

/** Most rows one batch may carry (decoder guard). */
export const MAX_BATCH_ROWS = 1_000_000;

/** Encodes entries (all of the same database and table, which are not stored). */
export function encodeEntries(entries: readonly ChangeEntry[]): Buffer {
  const n = entries.length;
  const w = new ByteWriter(64 + n * 24);
  w.uint(n);
  const seq = new Array<unknown>(n), hlc = new Array<unknown>(n), origin = new Array<unknown>(n), originSeq = new Array<unknown>(n);
  const op = new Array<unknown>(n), user = new Array<unknown>(n), key = new Array<unknown>(n), shape = new Array<unknown>(n);
  const attrIndex = new Map<string, number>();
  const shapeIndex = new Map<string, number>();
  const shapes: number[][] = [];
  const shapeNames: string[][] = [];
  const columns: unknown[][] = [];
  // Runs of rows usually share one shape: a row is first compared, name by name, with the
  // previous row's shape (no allocation); only a different row builds its signature string.
  let last = -1;
  for (let i = 0; i < n; i++) {
    const e = entries[i]!;
    seq[i] = e.seq; hlc[i] = e.hlc; origin[i] = e.origin; originSeq[i] = e.originSeq;
    op[i] = CHANGE_OPS.indexOf(e.op); user[i] = e.user ?? null; key[i] = e.key;
    const rec = e.record;
    if (rec === null || rec === undefined) { shape[i] = 0; continue; }
    let si = last >= 0 && sameShape(rec, shapeNames[last]!) ? last : -1;
    if (si < 0) {
      let sig = '';
      for (const name in rec) {
        if (rec[name] === undefined) continue;
        sig += name.length + ':' + name;
      }
      si = shapeIndex.get(sig) ?? -1;
      if (si < 0) {
        const idx: number[] = [], names: string[] = [];
        for (const name in rec) {
          if (rec[name] === undefined) continue;
          let a = attrIndex.get(name);
          if (a === undefined) { a = attrIndex.size; attrIndex.set(name, a); columns.push([]); }
          idx.push(a);
          names.push(name);
        }
        si = shapes.length;
        shapes.push(idx);
        shapeNames.push(names);
        shapeIndex.set(sig, si);
      }
      last = si;
    }
    shape[i] = si + 1;
    const idx = shapes[si]!;
    let j = 0;
    for (const name in rec) {
      const v = rec[name];
      if (v === undefined) continue;
      columns[idx[j++]!]!.push(v);
    }
  }
  for (const col of [seq, hlc, origin, originSeq, op, user, key]) encodeColumn(w, col);
  w.uint(attrIndex.size);
  for (const name of attrIndex.keys()) w.string(name);
  w.uint(shapes.length);
  for (const s of shapes) { w.uint(s.length); for (const a of s) w.uint(a); }
  encodeColumn(w, shape);
  for (const col of columns) encodeColumn(w, col);
  return w.finish();
}

/** Whether a record's defined attributes are exactly `names`, in that order. */
function sameShape(rec: RecordData, names: readonly string[]): boolean {
  let j = 0;
  for (const name in rec) {
    if (rec[name] === undefined) continue;
    if (names[j] !== name) return false;
    j++;
  }
  return j === names.length;
}

function check(cond: boolean, what: string): void {
  if (!cond) throw new ProtocolError(`malformed batch: ${what}`);
}

type RecordBuilder = (cols: unknown[][], cursor: number[], attrs: number[]) => RecordData;
/** Builders by attribute names (JSON of the list); bounded so a peer sending many shapes cannot grow it. */
const builderCache = new Map<string, RecordBuilder>();
const MAX_BUILDERS = 256;
const MAX_BUILDER_ATTRIBUTES = 200;

/**
 * A function returning `{ name0: cols[0][cursor[attrs[0]]++], ... }`. Names are emitted as JSON
 * string literals (a peer cannot inject code through them; `__proto__` is refused earlier, so
 * no literal sets a prototype). Null past the bounds: the caller then builds the record key by key.
 */
function builderFor(attrNames: string[]): RecordBuilder | null {
  if (attrNames.length > MAX_BUILDER_ATTRIBUTES) return null;
  const sig = JSON.stringify(attrNames);
  let b = builderCache.get(sig);
  if (b) return b;
  if (builderCache.size >= MAX_BUILDERS) return null;
  const fields = attrNames.map((name, j) => `${JSON.stringify(name)}: cols[${j}][cursor[attrs[${j}]]++]`).join(', ');
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  b = new Function('cols', 'cursor', 'attrs', `return { ${fields} };`) as RecordBuilder;
  builderCache.set(sig, b);
  return b;
}

/** Decodes a body written by encodeEntries; throws ProtocolError on malformed input. */
export function decodeEntries(body: Uint8Array, database: string, table: string): ChangeEntry[] {
  const r = new ByteReader(body);
  const n = r.uint();
  check(n <= MAX_BATCH_ROWS, 'too many rows');
  const seq = decodeColumn(r, n), hlc = decodeColumn(r, n), origin = decodeColumn(r, n), originSeq = decodeColumn(r, n);
  const op = decodeColumn(r, n), user = decodeColumn(r, n), key = decodeColumn(r, n);
  const attrCount = r.uint();
  check(attrCount <= r.remaining, 'attribute count');
  const names = new Array<string>(attrCount);
  for (let i = 0; i < attrCount; i++) {
    names[i] = r.string();
    // A hostile peer must not be able to set a record's prototype.
    check(names[i] !== '__proto__', 'attribute name __proto__');
  }
  const shapeCount = r.uint();
  check(shapeCount <= r.remaining, 'shape count');
  const shapes: number[][] = [];
  const perAttr = new Array<number>(attrCount).fill(0);
  for (let i = 0; i < shapeCount; i++) {
    const len = r.uint();
    check(len <= attrCount, 'shape length');
    const s: number[] = [];
    for (let j = 0; j < len; j++) { const a = r.uint(); check(a < attrCount, 'shape attribute'); s.push(a); }
    shapes.push(s);
  }
  const shape = decodeColumn(r, n);
  for (const s of shape) {
    check(typeof s === 'number' && Number.isInteger(s) && s >= 0 && s <= shapeCount, 'shape index');
    if ((s as number) > 0) for (const a of shapes[(s as number) - 1]!) perAttr[a]!++;
  }
  const columns = perAttr.map((count) => decodeColumn(r, count));
  check(r.remaining === 0, 'trailing bytes');
  const cursor = new Array<number>(attrCount).fill(0);
  const out = new Array<ChangeEntry>(n);
  // Per shape: the record's attribute names and, for the shapes most rows have, a function that
  // builds the record as one object literal (one hidden class, no keyed stores per value).
  const builders = shapes.map((s) => (s.length ? builderFor(s.map((a) => names[a]!)) : null));
  const shapeCols = shapes.map((s) => s.map((a) => columns[a]!));
  for (let i = 0; i < n; i++) {
    const s = shape[i] as number;
    let record: RecordData | null = null;
    if (s > 0) {
      const attrs = shapes[s - 1]!, build = builders[s - 1];
      if (build) {
        record = build(shapeCols[s - 1]!, cursor, attrs);
      } else {
        record = {};
        for (const a of attrs) record[names[a]!] = columns[a]![cursor[a]!++];
      }
    }
    const o = CHANGE_OPS[op[i] as number];
    check(o !== undefined, 'op');
    check(typeof seq[i] === 'number' && typeof hlc[i] === 'number' && typeof originSeq[i] === 'number', 'numbers');
    check(typeof origin[i] === 'string', 'origin');
    check(typeof key[i] === 'string' || typeof key[i] === 'number', 'key');
    check(user[i] === null || typeof user[i] === 'string', 'user');
    out[i] = {
      seq: seq[i] as number, hlc: hlc[i] as number, origin: origin[i] as string, originSeq: originSeq[i] as number,
      database, table, op: o as ChangeOp, key: key[i] as PrimaryKey, record, user: user[i] as string | null,
    };
  }
  return out;
}
