import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ChangeEntry } from '../../src/changelog/entry.js';
import { ByteReader, ByteWriter, ProtocolError } from '../../src/replication/protocol/bytes.js';
import { decodeEntries, encodeEntries } from '../../src/replication/protocol/batch-codec.js';
import { decodeColumn, encodeColumn } from '../../src/replication/protocol/column-codec.js';
import { COMPRESSION, decodeMessage, encodeBatch, encodeControl } from '../../src/replication/protocol/frame-codec.js';
import { FRAME_TYPES, type BatchMessage, type ControlMessage } from '../../src/replication/protocol/messages.js';

/** Seeded PRNG (mulberry32) so failures reproduce. */
function rng(seed: number): () => number {
  return () => {
    seed |= 0; seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function columnRoundTrip(values: unknown[]): unknown[] {
  const w = new ByteWriter(8);
  encodeColumn(w, values);
  const r = new ByteReader(w.finish());
  const out = decodeColumn(r, values.length);
  assert.equal(r.remaining, 0);
  return out;
}

test('varints round-trip across the whole safe range', () => {
  const values = [0, 1, -1, 63, -64, 64, 127, 128, 2 ** 31, -(2 ** 31), 2 ** 40 + 3, 2 ** 52, -(2 ** 52), 1_700_000_000_000_123];
  const w = new ByteWriter(1);
  for (const v of values) w.int(v);
  w.uint(Number.MAX_SAFE_INTEGER);
  const r = new ByteReader(w.finish());
  for (const v of values) assert.equal(r.int(), v);
  assert.equal(r.uint(), Number.MAX_SAFE_INTEGER);
  assert.throws(() => r.byte(), ProtocolError);
});

test('columns round-trip every value kind exactly', () => {
  const cases: unknown[][] = [
    [1, 2, 3, 4, 5],
    [1_700_000_000_000, 1_700_000_000_001, 1_700_000_000_001, 1_699_999_999_000],
    [12.34, 0.5, -7.25, 1000.0001, 3],
    [0.1 + 0.2, 1 / 3, Math.PI],
    [2 ** 53 - 1, -(2 ** 53) + 1, 1e300, -1e-300],
    ['m1', 'm2', 'm1', 'm1', 'm2', 'm3'],
    ['a', 'b', 'c', 'ünïcødé ✓', ''],
    [null, 1, null, 2.5],
    [null, null],
    ['x', null, 'x', 'x', null],
    [true, false, true],
    [{ nested: { deep: [1, 'two', null] } }, [1, 2], 'mixed', 3],
    [5, 5, 5],
    ['same', 'same'],
    [],
    [0.07, 0.1, 0.2, 1.005, 2.675, 99.99],
    // The scale rises late, and a late value fits no scale: both must still round-trip exactly.
    [1.5, 2.25, 3.125, 0.0001, 7],
    [0.5, 0.25, 1 / 3],
    [1.5, Number.NaN, 2.5],
    [1.5, Number.POSITIVE_INFINITY],
  ];
  for (const values of cases) assert.deepEqual(columnRoundTrip(values), values, JSON.stringify(values));
});

test('random decimal and integer columns round-trip (seeded)', () => {
  const rand = rng(42);
  for (let round = 0; round < 200; round++) {
    const n = 1 + Math.floor(rand() * 50);
    const scale = Math.floor(rand() * 6);
    const values = Array.from({ length: n }, () => Math.round((rand() - 0.5) * 1e7 * 10 ** scale) / 10 ** scale);
    assert.deepEqual(columnRoundTrip(values), values);
  }
});

function entry(i: number, record: Record<string, unknown> | null, extra: Partial<ChangeEntry> = {}): ChangeEntry {
  return { seq: 100 + i, hlc: 1_700_000_000_000_000 + i, origin: i % 3 ? 'edge' : 'region', originSeq: 50 + i, database: 'db', table: 't', op: record ? 'upsert' : 'delete', key: record?.id as number ?? i, record, user: i % 2 ? 'admin' : null, ...extra };
}

test('batches round-trip arbitrary records: nested objects, nulls, missing attributes, big and negative numbers', () => {
  const rand = rng(7);
  const entries: ChangeEntry[] = [];
  for (let i = 0; i < 300; i++) {
    const rec: Record<string, unknown> = { id: i };
    if (rand() < 0.8) rec.name = `n${Math.floor(rand() * 10)}`;
    if (rand() < 0.5) rec.value = Math.round((rand() - 0.5) * 1e6) / 100;
    if (rand() < 0.3) rec.big = Math.floor(rand() * Number.MAX_SAFE_INTEGER) * (rand() < 0.5 ? -1 : 1);
    if (rand() < 0.3) rec.float = rand() + 0.1;
    if (rand() < 0.2) rec.nested = { a: [1, { b: null }], s: 'x'.repeat(Math.floor(rand() * 300)) };
    if (rand() < 0.2) rec.nothing = null;
    if (rand() < 0.1) rec.flag = rand() < 0.5;
    entries.push(entry(i, i % 17 === 0 ? null : rec, { op: i % 17 === 0 ? 'delete' : i % 2 ? 'insert' : 'update' }));
  }
  entries.push(entry(999, { id: 'string-key', 'odd name': 0.1 + 0.2 }, { key: 'string-key' }));
  assert.deepEqual(decodeEntries(encodeEntries(entries), 'db', 't'), entries);
  assert.deepEqual(decodeEntries(encodeEntries([]), 'db', 't'), []);
});

test('a batch naming an attribute __proto__ is rejected', () => {
  const body = encodeEntries([entry(1, { id: 1, zzzzzzzzz: 2 })]);
  const at = body.indexOf(Buffer.from('zzzzzzzzz'));
  Buffer.from('__proto__').copy(body, at);
  assert.throws(() => decodeEntries(body, 'db', 't'), ProtocolError);
});

test('attribute names that are not identifiers decode exactly (records are built from generated literals)', () => {
  const names = ['"', '\\', "'", '}; throw 1; ({', '\n', '\u2028\u2029', '${x}', 'constructor', 'toString', 'hasOwnProperty', '1', '0x10', '', ' ', '\u0000', 'ü€😀'];
  const rec: Record<string, unknown> = { id: 1 };
  names.forEach((n, i) => { rec[n] = i; });
  const e = [entry(1, rec), entry(2, { ...rec, id: 2 })];
  const out = decodeEntries(encodeEntries(e), 'db', 't');
  assert.deepEqual(out, e);
  assert.deepEqual(out.map((x) => Object.keys(x.record!)), e.map((x) => Object.keys(x.record!)));
  assert.equal(Object.getPrototypeOf(out[0]!.record), Object.prototype);
});

test('batches with more shapes than the record builders cache still decode exactly', () => {
  const e: ChangeEntry[] = [];
  for (let i = 0; i < 600; i++) e.push(entry(i, { id: i, [`a${i}`]: i, b: 'x' }));
  e.push(entry(600, Object.fromEntries(Array.from({ length: 300 }, (_, j) => [`w${j}`, j]))));
  assert.deepEqual(decodeEntries(encodeEntries(e), 'db', 't'), e);
});

test('rows whose shape differs from the row before (a prefix, an extension, reordered, undefined values) decode exactly', () => {
  const recs: Record<string, unknown>[] = [
    { id: 1, a: 1, b: 2 }, { id: 2, a: 1, b: 2 }, { id: 3, a: 1 }, { id: 4, a: 1, b: 2, c: 3 },
    { id: 5, b: 2, a: 1 }, { id: 6, a: undefined, b: 2 }, { id: 7, a: 1, b: 2 }, { id: 8, a: 1, b: undefined },
    { id: 9, a: 1, b: 2, c: undefined }, { id: 10, a: 1, b: 2 },
  ];
  const out = decodeEntries(encodeEntries(recs.map((r, i) => entry(i, r))), 'db', 't');
  const defined = (r: Record<string, unknown>) => Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined));
  assert.deepEqual(out.map((e) => e.record), recs.map(defined));
  assert.deepEqual(out.map((e) => Object.keys(e.record!)), recs.map((r) => Object.keys(defined(r))));
});

test('decoded records keep their attribute order', () => {
  const e = [entry(1, { id: 1, z: 1, a: 2 }), entry(2, { id: 2, a: 2, z: 1 })];
  const out = decodeEntries(encodeEntries(e), 'db', 't');
  assert.deepEqual(out.map((x) => Object.keys(x.record!)), [['id', 'z', 'a'], ['id', 'a', 'z']]);
});

test('sensor batches cost well under 20 bytes a row on the wire', async () => {
  const entries: ChangeEntry[] = [];
  const rand = rng(3);
  const now = 1_764_000_000_000;
  for (let i = 0; i < 1000; i++) {
    const id = 1_000_000 + i;
    const record = { id, machine_id: 'm' + (id % 100), pressure: Math.round(rand() * 10000) / 100, temperature: Math.round((15 + rand() * 30) * 100) / 100, weight: Math.round(rand() * 500000) / 100, ts: now + Math.floor(i / 10), __createdtime__: now + Math.floor(i / 10), __updatedtime__: now + Math.floor(i / 10) };
    entries.push({ seq: 5000 + i, hlc: (now + Math.floor(i / 10)) * 1000 + (i % 10), origin: 'edge', originSeq: 5000 + i, database: 'default', table: 'sensor_data', op: 'insert', key: id, record, user: 'admin' });
  }
  const frame = await encodeBatch({ type: FRAME_TYPES.BATCH, db: 'default', table: 'sensor_data', hash: 'id', id: 1, last: 5999, entries });
  assert.ok(frame.length / 1000 < 12, `bytes per row ${frame.length / 1000}`);
  const back = await decodeMessage(frame);
  assert.deepEqual((back as BatchMessage).entries, entries);
  for (const c of [COMPRESSION.NONE, COMPRESSION.BROTLI]) {
    const f = await encodeBatch({ type: FRAME_TYPES.BATCH, db: 'default', table: 'sensor_data', hash: 'id', id: 1, last: 5999, entries }, c);
    assert.deepEqual(((await decodeMessage(f)) as BatchMessage).entries, entries);
  }
});

test('control frames round-trip', async () => {
  const msgs: ControlMessage[] = [
    { type: FRAME_TYPES.HELLO, node: 'edge', subs: [{ db: 'default', table: 'x', pub: true, sub: false, since: 5 }] },
    { type: FRAME_TYPES.WELCOME, node: 'hq' },
    { type: FRAME_TYPES.SUB, db: 'd', table: 't', after: null },
    { type: FRAME_TYPES.SUB, db: 'd', table: 't', after: 12, resume: 'k' },
    { type: FRAME_TYPES.ACK, db: 'd', table: 't', id: 3, last: 99 },
    { type: FRAME_TYPES.NOTICE, db: 'd', table: 't', state: 'resync_required', message: 'm' },
  ];
  for (const m of msgs) assert.deepEqual(await decodeMessage(encodeControl(m)), m);
});

test('malformed frames are rejected with ProtocolError, never crash', async () => {
  const good = await encodeBatch({ type: FRAME_TYPES.BATCH, db: 'd', table: 't', hash: 'id', id: 1, last: 1, entries: [entry(1, { id: 1, v: 2.5 })] }, COMPRESSION.NONE);
  const bad: Uint8Array[] = [
    new Uint8Array([]), new Uint8Array([99]), new Uint8Array([FRAME_TYPES.HELLO, 0xc1]),
    encodeControl({ type: FRAME_TYPES.WELCOME, node: 'x' }).subarray(0, 2),
    Buffer.concat([Buffer.from([FRAME_TYPES.ACK]), encodeControl({ type: FRAME_TYPES.WELCOME, node: 'x' }).subarray(1)]),
    good.subarray(0, good.length - 3),
    Buffer.concat([good, Buffer.from([1, 2, 3])]),
    Buffer.from([FRAME_TYPES.BATCH, 7]),
    Buffer.from([FRAME_TYPES.BATCH, 1, 0]),
  ];
  const rand = rng(11);
  for (let i = 0; i < 300; i++) {
    const copy = Buffer.from(good);
    const at = 3 + Math.floor(rand() * (copy.length - 3));
    copy[at] = Math.floor(rand() * 256);
    bad.push(copy);
  }
  let rejected = 0;
  for (const b of bad) {
    try {
      await decodeMessage(b);
    } catch (err) {
      assert.ok(err instanceof ProtocolError, `expected ProtocolError, got ${String(err)}`);
      rejected++;
    }
  }
  assert.ok(rejected >= 9, `rejected ${rejected}`);
});
