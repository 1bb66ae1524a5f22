/**
 * Pure per-column value encoding used by batch frames. Each column starts with a kind byte;
 * bit 0x80 adds a null bitmap (ceil(n/8) bytes, bit set = null) and the typed encoding then
 * covers only the non-null values:
 *   0 GENERIC  uint len + msgpack(array of values)      anything (objects, booleans, ...; -0 becomes 0, as in the table store)
 *   1 CONST    uint len + msgpack(value)                 every value identical (primitive)
 *   2 INT      mode byte (0 raw, 1 delta) + zigzag uints integers with |v| <= 2^51
 *   3 DECIMAL  scale byte s (1..4) + INT body of v*10^s  decimals with <= 4 fraction digits
 *   4 DICT     uint size + strings, then uint indexes    repeated strings
 *   5 STRINGS  length-prefixed UTF-8 strings             distinct strings
 * Decimals are only chosen when n / 10^s reproduces every value exactly, so decoding is
 * lossless by construction; anything else falls back to GENERIC (msgpackr).
 */
import { Packr } from 'msgpackr';
import { ByteReader, ByteWriter, ProtocolError } from './bytes.js';

const packr = new Packr({ useRecords: false, moreTypes: false, mapsAsObjects: true, int64AsType: 'number' } as ConstructorParameters<typeof Packr>[0]);

export const COLUMN_KINDS = { GENERIC: 0, CONST: 1, INT: 2, DECIMAL: 3, DICT: 4, STRINGS: 5 } as const;
const NULLS = 0x80;
const MAX_INT = 2 ** 51;
const POW10 = [1, 10, 100, 1000, 10000];

function isColumnInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v <= MAX_INT && v >= -MAX_INT && !Object.is(v, -0);
}

function uintSize(n: number): number {
  if (n < 0x80) return 1;
  if (n < 0x4000) return 2;
  if (n < 0x200000) return 3;
  if (n < 0x10000000) return 4;
  if (n < 0x800000000) return 5;
  if (n < 0x40000000000) return 6;
  if (n < 0x2000000000000) return 7;
  return 8;
}


/** Whether v times 10^s is an integer within bounds that divides back to exactly v. */
function exactAt(v: number, s: number): boolean {
  const n = Math.round(v * POW10[s]!);
  return n / POW10[s]! === v && n <= MAX_INT && n >= -MAX_INT && !Object.is(v, -0);
}

/** Scale (0..4) at which v is an exact scaled integer, or -1. */
function decimalScale(v: number): number {
  if (!Number.isFinite(v)) return -1;
  for (let s = 0; s <= 4; s++) if (exactAt(v, s)) return s;
  return -1;
}

function writeInts(w: ByteWriter, ints: readonly number[]): void {
  // Choose raw or delta by the summed varint sizes, estimated on a sample for long columns.
  const n = ints.length;
  const step = n > 256 ? Math.floor(n / 128) : 1;
  // |v| <= 2^51 for every value (isColumnInt / decimal bounds), so deltas fit in 2^52.
  let raw = 0, delta = 0;
  for (let i = 0; i < n; i += step) {
    const v = ints[i]!;
    raw += uintSize(v >= 0 ? v * 2 : -v * 2 - 1);
    const d = i === 0 ? v : v - ints[i - 1]!;
    delta += uintSize(d >= 0 ? d * 2 : -d * 2 - 1);
  }
  if (delta < raw) {
    w.byte(1);
    let prev = 0;
    for (let i = 0; i < n; i++) { const v = ints[i]!; w.int(v - prev); prev = v; }
  } else {
    w.byte(0);
    for (let i = 0; i < n; i++) w.int(ints[i]!);
  }
}

function readInts(r: ByteReader, n: number): number[] {
  const mode = r.byte();
  const out = new Array<number>(n);
  if (mode === 1) {
    let prev = 0;
    for (let i = 0; i < n; i++) { prev += r.int(); out[i] = prev; }
  } else if (mode === 0) {
    for (let i = 0; i < n; i++) out[i] = r.int();
  } else throw new ProtocolError(`unknown integer mode ${mode}`);
  return out;
}

function writeTyped(w: ByteWriter, values: unknown[], bitmap?: Uint8Array): void {
  const n = values.length;
  const kind = (k: number) => { w.byte(bitmap ? k | NULLS : k); if (bitmap) w.bytes(bitmap); };
  const first = values[0];
  if (n > 0 && (first === null || typeof first === 'string' || typeof first === 'boolean' || (typeof first === 'number' && !Object.is(first, -0)))) {
    let same = true;
    for (let i = 1; i < n; i++) if (values[i] !== first) { same = false; break; }
    if (same) { kind(COLUMN_KINDS.CONST); w.chunk(packr.pack(first)); return; }
  }
  let allInt = n > 0, allNum = n > 0, allStr = n > 0;
  for (const v of values) {
    if (typeof v === 'number') { allStr = false; if (allInt && !isColumnInt(v)) allInt = false; }
    else if (typeof v === 'string') { allInt = false; allNum = false; }
    else { allInt = allNum = allStr = false; break; }
  }
  if (allInt) { kind(COLUMN_KINDS.INT); writeInts(w, values as number[]); return; }
  if (allNum) {
    // The column's scale is the largest any value needs; a value exact at the scale reached so
    // far costs one check (a larger scale keeps a smaller one's values exact; the pass below
    // verifies every value anyway).
    let scale = 0;
    for (const v of values as number[]) {
      if (exactAt(v, scale)) continue;
      const s = decimalScale(v);
      if (s < 0) { scale = -1; break; }
      if (s > scale) scale = s;
    }
    if (scale > 0) {
      const p = POW10[scale]!;
      const ints = new Array<number>(n);
      let ok = true;
      for (let i = 0; i < n; i++) {
        const v = values[i] as number;
        const k = Math.round(v * p);
        if (k / p !== v || k > MAX_INT || k < -MAX_INT) { ok = false; break; }
        ints[i] = k;
      }
      if (ok) { kind(COLUMN_KINDS.DECIMAL); w.byte(scale); writeInts(w, ints); return; }
    }
  }
  if (allStr) {
    const dict = new Map<string, number>();
    for (const v of values as string[]) if (!dict.has(v)) dict.set(v, dict.size);
    if (dict.size * 2 <= n) {
      kind(COLUMN_KINDS.DICT);
      w.uint(dict.size);
      for (const s of dict.keys()) w.string(s);
      for (const v of values as string[]) w.uint(dict.get(v)!);
    } else {
      kind(COLUMN_KINDS.STRINGS);
      for (const v of values as string[]) w.string(v);
    }
    return;
  }
  kind(COLUMN_KINDS.GENERIC);
  w.chunk(packr.pack(values));
}

/** Appends one column of values (any JSON-like values, undefined excluded). */
export function encodeColumn(w: ByteWriter, values: unknown[]): void {
  let nulls = 0;
  for (const v of values) if (v === null) nulls++;
  if (nulls === 0 || nulls === values.length) { writeTyped(w, values); return; }
  const bitmap = new Uint8Array(Math.ceil(values.length / 8));
  const rest: unknown[] = [];
  for (let i = 0; i < values.length; i++) {
    if (values[i] === null) bitmap[i >> 3]! |= 1 << (i & 7);
    else rest.push(values[i]);
  }
  writeTyped(w, rest, bitmap);
}

function readTyped(r: ByteReader, kind: number, n: number): unknown[] {
  switch (kind) {
    case COLUMN_KINDS.CONST: {
      const v = unpack(r.chunk());
      return new Array<unknown>(n).fill(v);
    }
    case COLUMN_KINDS.INT:
      return readInts(r, n);
    case COLUMN_KINDS.DECIMAL: {
      const scale = r.byte();
      if (scale < 1 || scale > 4) throw new ProtocolError(`bad decimal scale ${scale}`);
      const p = POW10[scale]!;
      const ints = readInts(r, n);
      for (let i = 0; i < n; i++) ints[i] = ints[i]! / p;
      return ints;
    }
    case COLUMN_KINDS.DICT: {
      const size = r.uint();
      if (size > r.remaining) throw new ProtocolError('dictionary larger than the frame');
      const dict = new Array<string>(size);
      for (let i = 0; i < size; i++) dict[i] = r.string();
      const out = new Array<unknown>(n);
      for (let i = 0; i < n; i++) {
        const k = r.uint();
        if (k >= size) throw new ProtocolError('dictionary index out of range');
        out[i] = dict[k];
      }
      return out;
    }
    case COLUMN_KINDS.STRINGS: {
      const out = new Array<unknown>(n);
      for (let i = 0; i < n; i++) out[i] = r.string();
      return out;
    }
    case COLUMN_KINDS.GENERIC: {
      const v = unpack(r.chunk());
      if (!Array.isArray(v) || v.length !== n) throw new ProtocolError('generic column has the wrong length');
      return v;
    }
    default:
      throw new ProtocolError(`unknown column kind ${kind}`);
  }
}

function unpack(b: Uint8Array): unknown {
  try {
    return packr.unpack(b);
  } catch (err) {
    throw new ProtocolError(`bad msgpack value: ${(err as Error).message}`);
  }
}

/** Reads one column of n values written by encodeColumn. */
export function decodeColumn(r: ByteReader, n: number): unknown[] {
  const head = r.byte();
  if (!(head & NULLS)) return readTyped(r, head, n);
  const bitmap = r.bytes(Math.ceil(n / 8));
  let nulls = 0;
  for (let i = 0; i < n; i++) if (bitmap[i >> 3]! & (1 << (i & 7))) nulls++;
  const rest = readTyped(r, head & ~NULLS, n - nulls);
  const out = new Array<unknown>(n);
  for (let i = 0, j = 0; i < n; i++) out[i] = bitmap[i >> 3]! & (1 << (i & 7)) ? null : rest[j++];
  return out;
}
