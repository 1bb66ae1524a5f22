import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig, redactConfig } from '../../src/config/load-config.js';
import { parseSinkDefinition, redactUrl } from '../../src/config/sink-settings.js';
import type { ChangeEntry } from '../../src/changelog/entry.js';
import { backoffMs, collapseEntries, isInsertOnly } from '../../src/sinks/rows.js';
import { copyEncoder, copyField, encodeValue, inferType, MISMATCH, upsertSql } from '../../src/sinks/postgres/sql.js';

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
