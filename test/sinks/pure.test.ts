import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig, redactConfig } from '../../src/config/load-config.js';
import { parseSinkDefinition, redactUrl } from '../../src/config/sink-settings.js';
import type { ChangeEntry } from '../../src/changelog/entry.js';
import { backoffMs, collapseEntries, isInsertOnly } from '../../src/sinks/rows.js';
import { BinaryCopyBuffer, binaryEncoder } from '../../src/sinks/postgres/copy-binary.js';
import { copyEncoder, copyField, copySql, encodeValue, inferType, MISMATCH, upsertSql } from '../../src/sinks/postgres/sql.js';

const URL_ = 'postgres://ferry:s3cret@db.example:5432/wh';

test('sink definitions are normalised, and bad ones name the field at fault', () => {
  const d = parseSinkDefinition({ name: 'wh', url: URL_, tables: ['dev.dog', { database: 'dev', table: 'cat', target: 'analytics.cats', columns: { name: 'cat_name' } }] });
  assert.deepEqual(d.tables, [
    { database: 'dev', table: 'dog', target: null, columns: {} },
    { database: 'dev', table: 'cat', target: 'analytics.cats', columns: { name: 'cat_name' } },
  ]);
  assert.equal(d.createTables, true);
  const cases: [unknown, RegExp][] = [
    [{ url: URL_, tables: ['a.b'] }, /'sink.name' is required/],
    [{ name: 'x', url: 'mysql://h/db', tables: ['a.b'] }, /'sink.url' must start with postgres/],
    [{ name: 'x', url: URL_, tables: [] }, /'sink.tables' must be a non-empty list/],
    [{ name: 'x', url: URL_, tables: ['nodot'] }, /'sink.tables\[0\]'/],
    [{ name: 'x', url: URL_, tables: ['a.b', 'a.b'] }, /lists 'a.b' twice/],
    [{ name: 'x', url: URL_, tables: [{ table: 'b', target: 'bad name' }] }, /'sink.tables\[0\].target'/],
    [{ name: 'x', url: URL_, tables: ['a.b'], batch_rows: 0 }, /'sink.batch_rows'/],
    [{ name: 'x', url: URL_, tables: ['a.b'], colour: 1 }, /'sink.colour' is not a known field/],
  ];
  for (const [body, re] of cases) assert.throws(() => parseSinkDefinition(body), re);
});

test('the sinks setting comes from the YAML file or SINKS as JSON, and get_configuration masks the password', () => {
  const file = { sinks: [{ name: 'wh', url: URL_, tables: ['dev.dog'], create_tables: false }], sink: { batch: { maxRows: 100 } } };
  const c = loadConfig({ file });
  assert.equal(c.sinks[0]!.createTables, false);
  assert.equal(c.sink.batch.maxRows, 100);
  assert.equal(loadConfig({ env: { SINKS: JSON.stringify(file.sinks) } }).sinks[0]!.name, 'wh');
  assert.throws(() => loadConfig({ env: { SINKS: '[{' } }), /SINKS: 'sinks' must be a JSON list/);
  assert.throws(() => loadConfig({ file: { sinks: [{ name: 'wh', tables: ['a.b'] }] } }), /'sinks\[0\].url' is required/);
  const shown = JSON.stringify(redactConfig(c));
  assert.ok(!shown.includes('s3cret'));
  assert.ok(shown.includes('db.example'));
  assert.equal(redactUrl(URL_), 'postgres://ferry:********@db.example:5432/wh');
});

function entry(seq: number, key: number, op: ChangeEntry['op'], v: unknown): ChangeEntry {
  return { seq, hlc: seq * 1000, origin: 'n', originSeq: seq, database: 'd', table: 't', op, key, record: op === 'delete' ? null : { id: key, v }, user: null };
}

test('a batch keeps the last change of each key; only all-insert batches may take the bulk path', () => {
  const es = [entry(1, 1, 'insert', 'a'), entry(2, 2, 'insert', 'b'), entry(3, 1, 'update', 'c'), entry(4, 2, 'delete', null), entry(5, 3, 'insert', 'd')];
  assert.deepEqual(collapseEntries(es).map((r) => [r.key, r.version, r.record?.v ?? null]), [[1, 3000, 'c'], [2, 4000, null], [3, 5000, 'd']]);
  assert.equal(isInsertOnly(es), false);
  assert.equal(isInsertOnly([es[0]!, es[1]!]), true);
});

test('values are encoded for their column type; misfits are marked, COPY fields escaped', () => {
  assert.equal(inferType('temp', 1.5), 'double precision');
  assert.equal(inferType('__createdtime__', 1), 'bigint');
  assert.equal(inferType('tags', ['a']), 'jsonb');
  assert.equal(encodeValue('double precision', 2.5), '2.5');
  assert.equal(encodeValue('double precision', 'x'), MISMATCH);
  assert.equal(encodeValue('boolean', true), 't');
  assert.equal(encodeValue('text', 7), '7');
  assert.equal(encodeValue('jsonb', { a: 1 }), '{"a":1}');
  assert.equal(encodeValue('bigint', null), null);
  assert.equal(copyField(null), '\\N');
  assert.equal(copyField('a\tb\nc\\d\re'), 'a\\tb\\nc\\\\d\\re');
  for (const type of ['double precision', 'text', 'bigint', 'boolean', 'jsonb']) {
    const enc = copyEncoder(type);
    for (const v of [1.5, 7, 'x\ty', true, null, undefined, { a: [1] }]) {
      const plain = encodeValue(type, v);
      assert.deepEqual(enc(v), plain === MISMATCH ? MISMATCH : copyField(plain), `${type} ${String(v)}`);
    }
  }
});

test('binary COPY: header, fields in network order, NULLs, misfits and the trailer; other types have no binary encoder', () => {
  const out = new BinaryCopyBuffer(16); // grows as needed
  const f64 = binaryEncoder('double precision')!, i64 = binaryEncoder('bigint')!, i32 = binaryEncoder('integer')!, i16 = binaryEncoder('smallint')!;
  const txt = binaryEncoder('text')!, js = binaryEncoder('jsonb')!, bool = binaryEncoder('boolean')!, f32 = binaryEncoder('real')!;
  out.int16(11);
  const fits = [f64(out, 1.5), f64(out, null), f64(out, 'x'), i64(out, -1), i64(out, 2 ** 40 + 7.9), i32(out, 2 ** 31), i16(out, -32768), txt(out, 'é\t'), js(out, { a: [1] }), bool(out, true), f32(out, 0.5)];
  assert.deepEqual(fits, [true, true, false, true, true, false, true, true, true, true, true]);
  const buf = out.finish();
  assert.equal(buf.subarray(0, 11).toString('latin1'), 'PGCOPY\n\xff\r\n\0');
  assert.equal(buf.readInt32BE(11), 0);
  assert.equal(buf.readInt32BE(15), 0);
  let at = 19;
  assert.equal(buf.readInt16BE(at), 11); at += 2;
  const field = () => { const n = buf.readInt32BE(at); at += 4; if (n < 0) return null; const v = buf.subarray(at, at + n); at += n; return v; };
  assert.equal(field()!.readDoubleBE(0), 1.5);
  assert.equal(field(), null);
  assert.equal(field(), null); // a misfit is written as NULL
  assert.equal(field()!.readBigInt64BE(0), -1n);
  assert.equal(field()!.readBigInt64BE(0), BigInt(2 ** 40 + 7));
  assert.equal(field(), null); // outside integer's range
  assert.equal(field()!.readInt16BE(0), -32768);
  assert.equal(field()!.toString('utf8'), 'é\t');
  const j = field()!;
  assert.equal(j[0], 1); // jsonb format version
  assert.equal(j.subarray(1).toString(), '{"a":[1]}');
  assert.deepEqual([...field()!], [1]);
  assert.equal(field()!.readFloatBE(0), 0.5);
  assert.equal(buf.readInt16BE(at), -1);
  assert.equal(at + 2, buf.length);
  for (const type of ['numeric', 'timestamp with time zone', 'USER-DEFINED', 'character']) assert.equal(binaryEncoder(type), null, type);
  assert.match(copySql('"s"."t"', { names: ['id'], types: ['text'] }, true), /FROM STDIN WITH \(FORMAT binary\)$/);
});

test('the upsert only replaces older versions and skips rows with a newer tombstone', () => {
  const sql = upsertSql('"s"."t"', 'id', { names: ['id', 'v'], types: ['double precision', 'text'] });
  assert.match(sql, /^INSERT INTO "s"."t" AS t \("id", "v", "__version__", "__origin__"\) SELECT v."id", v."v", v."__version__", v."__origin__" FROM ferrydb_sink_stage v/);
  assert.match(sql, /ON CONFLICT \("id"\) DO UPDATE SET "v" = EXCLUDED."v"/);
  assert.match(sql, /WHERE \(t."__version__", t."__origin__"\) < \(EXCLUDED."__version__", EXCLUDED."__origin__"\)$/);
  assert.match(sql, /NOT EXISTS \(SELECT 1 FROM ferrydb_sink_tombstones tb WHERE tb.target_table = \$1/);
});

test('back-off doubles from the minimum up to the maximum, with jitter', () => {
  assert.equal(backoffMs(0, 100, 1000, () => 1), 100);
  assert.equal(backoffMs(0, 100, 1000, () => 0), 50);
  assert.equal(backoffMs(3, 100, 1000, () => 1), 800);
  assert.equal(backoffMs(20, 100, 1000, () => 1), 1000);
});
