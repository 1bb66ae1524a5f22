// A write puts its records, then its index entries, then its log entries (one pass per B-tree).
// These cases pin what that order must not change: a key written twice in one batch moves its
// index entries twice, in row order, and the log lists every row in row order.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Catalog } from '../../src/catalog/catalog.js';
import { ChangeLog } from '../../src/changelog/changelog.js';
import type { ChangeEntry } from '../../src/changelog/entry.js';
import { Records } from '../../src/records/records.js';
import { openLmdbEngine } from '../../src/storage/lmdb-engine.js';

function open(t: { after: (fn: () => unknown) => void }) {
  const dir = mkdtempSync(join(tmpdir(), 'ferrydb-passes-'));
  const engine = openLmdbEngine({ path: dir });
  const changelog = new ChangeLog(engine, 'n1');
  const records = new Records(engine, new Catalog(engine), changelog);
  t.after(async () => { await engine.close(); rmSync(dir, { recursive: true, force: true }); });
  return { records, changelog };
}

const keysOf = (records: Records, def: ReturnType<Records['createTable']>, value: string) => [...records.indexKeysFor(def, 'colour', value)];

test('a key written twice in one local batch: the index and the log follow the rows in order', async (t) => {
  const { records, changelog } = open(t);
  const def = records.createTable('dev', 'paint', 'id', ['colour']);
  await records.insert(def, [{ id: 1, colour: 'red' }, { id: 2, colour: 'red' }], 'u');
  // one upsert: key 1 red -> blue -> green, key 3 new, key 2 unchanged colour
  await records.upsert(def, [{ id: 1, colour: 'blue' }, { id: 3, colour: 'blue' }, { id: 1, colour: 'green', n: 1 }, { id: 2, n: 2 }], 'u');
  assert.deepEqual(keysOf(records, def, 'red'), [2]);
  assert.deepEqual(keysOf(records, def, 'blue'), [3]);
  assert.deepEqual(keysOf(records, def, 'green'), [1]);
  assert.equal(records.get(def, 1)?.n, 1);
  assert.equal(records.get(def, 2)?.colour, 'red');
  const log = [...changelog.readAfter('dev', 'paint', 0)];
  assert.deepEqual(log.map((e) => [e.key, e.op, e.record?.colour]), [[1, 'insert', 'red'], [2, 'insert', 'red'], [1, 'upsert', 'blue'], [3, 'upsert', 'blue'], [1, 'upsert', 'green'], [2, 'upsert', 'red']]);
  // seqs grow by one per row, and the rows of one write share its first entry's txn
  assert.deepEqual(log.map((e) => e.seq), [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(log.slice(2).map((e) => e.txn), [3, 3, 3, 3]);
});

test('a replicated batch with a key inserted, updated and deleted: indexes, tombstone and log in order', async (t) => {
  const { records, changelog } = open(t);
  const hlc = Date.now() * 1000;
  const entry = (i: number, op: ChangeEntry['op'], key: number, record: Record<string, unknown> | null): ChangeEntry =>
    ({ seq: i, hlc: hlc + i, origin: 'edge', originSeq: 100 + i, database: 'dev', table: 'paint', op, key, record, user: 'u' });
  const applied = await records.applyRemote([
    entry(1, 'insert', 7, { id: 7, colour: 'red' }),
    entry(2, 'insert', 8, { id: 8, colour: 'red' }),
    entry(3, 'update', 7, { id: 7, colour: 'blue' }),
    entry(4, 'delete', 8, null),
    entry(5, 'update', 7, { id: 7, colour: 'green' }),
  ], () => 'id');
  assert.equal(applied, 5);
  const def = records.catalog.getTable('dev', 'paint');
  assert.equal(records.get(def, 7)?.colour, 'green');
  // a table made by replication has no declared index: build one from the records and check it
  await records.ensureIndexed(def, ['colour']);
  assert.deepEqual(keysOf(records, def, 'green'), [7]);
  assert.deepEqual(keysOf(records, def, 'red'), []);
  assert.deepEqual(keysOf(records, def, 'blue'), []);
  assert.equal(records.get(def, 8), undefined);
  // a replayed older write of the deleted key loses against its tombstone
  assert.equal(await records.applyRemote([entry(2, 'insert', 8, { id: 8, colour: 'red' })], () => 'id'), 0);
  assert.equal(records.get(def, 8), undefined);
  const log = [...changelog.readAfter('dev', 'paint', 0)];
  assert.deepEqual(log.map((e) => [e.key, e.op, e.originSeq, e.origin]), [[7, 'insert', 101, 'edge'], [8, 'insert', 102, 'edge'], [7, 'update', 103, 'edge'], [8, 'delete', 104, 'edge'], [7, 'update', 105, 'edge']]);
});

test('a replicated batch into a table with a declared index keeps the index in step with each row', async (t) => {
  const { records } = open(t);
  const def = records.createTable('dev', 'paint', 'id', ['colour']);
  const hlc = Date.now() * 1000;
  const entry = (i: number, op: ChangeEntry['op'], key: number, record: Record<string, unknown> | null): ChangeEntry =>
    ({ seq: i, hlc: hlc + i, origin: 'edge', originSeq: i, database: 'dev', table: 'paint', op, key, record, user: null });
  await records.applyRemote([entry(1, 'insert', 1, { id: 1, colour: 'red' }), entry(2, 'update', 1, { id: 1, colour: 'blue' }), entry(3, 'insert', 2, { id: 2, colour: 'red' }), entry(4, 'delete', 2, null), entry(5, 'insert', 3, { id: 3, colour: 'red' })], () => 'id');
  assert.deepEqual(keysOf(records, def, 'red'), [3]);
  assert.deepEqual(keysOf(records, def, 'blue'), [1]);
});
