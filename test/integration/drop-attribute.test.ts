import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openRecords, tempDir } from '../helpers/local-records.js';
import { Records } from '../../src/records/records.js';
import { WRITE_CHUNK_ROWS } from '../../src/records/writes.js';

const N = 2 * WRITE_CHUNK_ROWS + 33;

async function filled(dir: string) {
  const o = openRecords(dir);
  const def = o.records.createTable('dev', 't', 'id', ['x']);
  const rows = Array.from({ length: N }, (_, i) => ({ id: i, x: i % 5, keep: i }));
  for (let i = 0; i < N; i += WRITE_CHUNK_ROWS) await o.records.insert(def, rows.slice(i, i + WRITE_CHUNK_ROWS), 'u');
  return { ...o, def };
}

const withX = (records: Records, def: ReturnType<Records['catalog']['getTable']>) => [...records.recordsInRange(def)].filter((r) => 'x' in r).map((r) => r.id);

test('drop_attribute rewrites the records a chunk at a time; writes made meanwhile neither keep the old value nor lose a new one', async (t) => {
  const dir = tempDir(t, 'dropattr');
  const { engine, records, def } = await filled(dir);
  t.after(() => engine.close());
  let done = false;
  const dropping = records.dropAttribute(def, 'x').then(() => { done = true; });
  // Queued while the records are rewritten: an update of a record not reached yet (merging must
  // not carry the dropped value along), and the name written again on two records.
  await records.update(def, [{ id: N - 1, keep: 'updated' }], 'u');
  assert.equal(done, false, 'other writes commit between the rewrite\'s transactions');
  // Readers no longer see the attribute, though records not rewritten yet still hold it on disk.
  const onDisk = [...records.table('dev', 't').data.getRange({})].filter(({ key, value }) => typeof key === 'number' && 'x' in value[2]).length;
  assert.ok(onDisk > 0, 'the rewrite is still going on');
  assert.deepEqual(withX(records, def), []);
  assert.equal(records.get(def, N - 3)?.x, undefined);
  assert.deepEqual((await records.query(def, { filter: null })).filter((r) => 'x' in r), []);
  await records.upsert(def, [{ id: N - 2, x: 'new' }, { id: 1, x: 'new too' }], 'u');
  await dropping;
  assert.deepEqual(withX(records, def).sort(), [1, N - 2].sort());
  assert.equal(records.get(def, N - 1)?.keep, 'updated');
  assert.equal(records.get(def, N - 1)?.x, undefined);
  assert.equal(records.get(def, N - 2)?.x, 'new');
  assert.equal(records.get(def, 7)?.keep, 7);
  assert.equal(records.isIndexed(def, 'x'), false);
  assert.ok(records.catalog.attributeSet(def).has('x'), 'written again, the attribute is back in the definition');
});

test('a drop_attribute cut short by a stop is finished at the next start', async (t) => {
  const dir = tempDir(t, 'dropattr');
  const first = await filled(dir);
  const dropping = first.records.dropAttribute(first.def, 'x');
  dropping.catch(() => undefined);
  await first.records.update(first.def, [{ id: 3, keep: 'k' }], 'u'); // after the first rewrite transaction
  await first.engine.close();
  await assert.rejects(dropping);

  const { engine, records } = openRecords(dir);
  t.after(() => engine.close());
  const def = records.catalog.getTable('dev', 't');
  assert.equal(records.catalog.attributeSet(def).has('x'), false, 'the definition lost it in the first transaction');
  assert.ok(withX(records, def).length > 0, 'some records still hold it before the resume');
  await records.resumePending();
  assert.deepEqual(withX(records, def), []);
  await records.resumePending(); // nothing left to do
  assert.equal(records.get(def, 3)?.keep, 'k');
});
