import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Catalog } from '../../src/catalog/catalog.js';
import { ChangeLog } from '../../src/changelog/changelog.js';
import { Records } from '../../src/records/records.js';
import { openLmdbEngine } from '../../src/storage/lmdb-engine.js';

function open(path: string) {
  const engine = openLmdbEngine({ path });
  return { engine, records: new Records(engine, new Catalog(engine), new ChangeLog(engine, 'n1')) };
}

test('the increasing-key fast path never lets an insert overwrite a stored key, across restarts and tombstones', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ferrydb-keys-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  let { engine, records } = open(dir);
  const def = records.createTable('dev', 't', 'id');
  await records.insert(def, [{ id: 5 }, { id: 'z' }, { id: 2 }], 'u');
  assert.deepEqual((await records.insert(def, [{ id: 5, v: 'again' }, { id: 6 }], 'u')).skipped, [5]);
  await records.delete(def, [6], 'u');
  await engine.close();

  ({ engine, records } = open(dir));
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
