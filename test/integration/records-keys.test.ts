import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openRecords, tempDir } from '../helpers/local-records.js';

test('the increasing-key fast path never lets an insert overwrite a stored key, across restarts and tombstones', async (t) => {
  const dir = tempDir(t, 'keys');
  let { engine, records } = openRecords(dir);
  const def = records.createTable('dev', 't', 'id');
  await records.insert(def, [{ id: 5 }, { id: 'z' }, { id: 2 }], 'u');
  assert.deepEqual((await records.insert(def, [{ id: 5, v: 'again' }, { id: 6 }], 'u')).skipped, [5]);
  await records.delete(def, [6], 'u');
  await engine.close();

  ({ engine, records } = openRecords(dir));
  const t2 = records.catalog.getTable('dev', 't');
  // 6 is a tombstone now and 5 a record: both are below the recomputed top key
  assert.deepEqual((await records.insert(t2, [{ id: 5, v: 'x' }, { id: 7 }], 'u')).skipped, [5]);
  assert.equal(records.get(t2, 5)?.v, undefined);
  // a replicated older write for the deleted key 6 must lose against its tombstone
  const applied = await records.applyRemote([{ seq: 1, hlc: 1, origin: 'peer', originSeq: 1, database: 'dev', table: 't', op: 'upsert', key: 6, record: { id: 6, v: 'late' }, user: null }], () => 'id');
  assert.equal(applied, 0);
  assert.equal(records.get(t2, 6), undefined);
  // a replicated key above everything is applied
  assert.equal(await records.applyRemote([{ seq: 2, hlc: Date.now() * 1000, origin: 'peer', originSeq: 2, database: 'dev', table: 't', op: 'insert', key: 1000, record: { id: 1000 }, user: null }], () => 'id'), 1);
  assert.deepEqual((await records.insert(t2, [{ id: 1000 }, { id: 1001 }], 'u')).skipped, [1000]);
  await engine.close();
});

test('appended keys (increasing numbers, per-table log positions) land in order next to put ones, across restarts', async (t) => {
  const dir = tempDir(t, 'keys');
  let { engine, records } = openRecords(dir);
  // the store-level contract: an out-of-order or existing key is refused and nothing changes
  const raw = engine.openStore<{ v: number }>('raw', { structures: true });
  await engine.transaction(() => {
    assert.equal(raw.append(1, { v: 1 }), true);
    assert.equal(raw.append(3, { v: 3 }), true);
    assert.equal(raw.append(2, { v: 2 }), false);
    assert.equal(raw.append(3, { v: 33 }), false);
  });
  assert.deepEqual([...raw.getRange()].map((e) => [e.key, e.value.v]), [[1, 1], [3, 3]]);
  // two tables written in turn: 'b' sorts after 'a' in the log, so 'a' falls back to put
  const a = records.createTable('dev', 'a', 'id');
  const b = records.createTable('dev', 'b', 'id');
  for (let i = 0; i < 3; i++) {
    await records.insert(b, [{ id: i * 10 + 1 }, { id: i * 10 + 2 }], 'u');
    await records.insert(a, [{ id: i * 10 + 1 }], 'u');
  }
  // a string key sorts after every number: later numeric keys cannot be appended, only put
  await records.insert(a, [{ id: 'name' }, { id: 100 }, { id: 101 }], 'u');
  await engine.close();

  ({ engine, records } = openRecords(dir));
  const a2 = records.catalog.getTable('dev', 'a'), b2 = records.catalog.getTable('dev', 'b');
  await records.insert(b2, [{ id: 50 }, { id: 40 }], 'u');
  await records.insert(a2, [{ id: 102 }], 'u');
  assert.deepEqual((await records.query(a2, { filter: null, sort: [] })).map((r) => r.id), [1, 11, 21, 100, 101, 102, 'name']);
  assert.deepEqual((await records.query(b2, { filter: null, sort: [] })).map((r) => r.id), [1, 2, 11, 12, 21, 22, 40, 50]);
  const seqs = (d: typeof a2) => [...records.changelog.readTable(d.database, d.name)].map((e) => [e.seq, e.key]);
  const logA = seqs(a2), logB = seqs(b2);
  assert.deepEqual(logA.map((e) => e[1]), [1, 11, 21, 'name', 100, 101, 102]);
  assert.deepEqual(logB.map((e) => e[1]), [1, 2, 11, 12, 21, 22, 50, 40]);
  for (const log of [logA, logB]) for (let i = 1; i < log.length; i++) assert.ok((log[i]![0] as number) > (log[i - 1]![0] as number), 'log positions increase');
  await engine.close();
});
