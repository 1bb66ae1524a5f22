import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openRecords, tempDir } from '../helpers/local-records.js';
import type { TableDef } from '../../src/catalog/catalog.js';
import { Records } from '../../src/records/records.js';
import { WRITE_CHUNK_ROWS } from '../../src/records/writes.js';

const N = 3 * WRITE_CHUNK_ROWS + 17;

/** The index must hold exactly the (value, key) pairs of the records. */
function assertIndexMatches(records: Records, def: TableDef, attribute: string) {
  const expected = new Map<unknown, number[]>();
  for (const r of records.recordsInRange(def)) {
    if (r[attribute] === undefined || r[attribute] === null) continue;
    const list = expected.get(r[attribute]) ?? [];
    list.push(r.id as number);
    expected.set(r[attribute], list);
  }
  const actual = new Map<unknown, number[]>();
  for (const e of records.indexEntries(def, attribute)) {
    const list = actual.get(e.value) ?? [];
    list.push(e.key as number);
    actual.set(e.value, list);
  }
  for (const list of [...expected.values(), ...actual.values()]) list.sort((a, b) => a - b);
  assert.deepEqual(new Map([...actual].sort()), new Map([...expected].sort()));
}

async function filled(dir: string) {
  const o = openRecords(dir);
  const def = o.records.createTable('dev', 't', 'id');
  const rows = Array.from({ length: N }, (_, i) => (i % 11 === 0 ? { id: i } : { id: i, v: i % 7 }));
  for (let i = 0; i < N; i += WRITE_CHUNK_ROWS) await o.records.insert(def, rows.slice(i, i + WRITE_CHUNK_ROWS), 'u');
  return { ...o, def };
}

test('an index is built a chunk at a time; writes made meanwhile are in it, and readers use it only once complete', async (t) => {
  const dir = tempDir(t, 'index');
  const { engine, records, def } = await filled(dir);
  t.after(() => engine.close());

  let built = false;
  const build = records.ensureIndexed(def, ['v']).then(() => { built = true; });
  const second = records.ensureIndexed(def, ['v']); // shares the build
  // Writes on both sides of the build's position, queued while it runs.
  await records.update(def, [{ id: 1, v: 100 }, { id: N - 1, v: 100 }, { id: 0, v: 5 }], 'u');
  assert.equal(built, false, 'other writes commit between the build\'s transactions');
  assert.equal(records.isIndexed(def, 'v'), false, 'no reader uses the index before it is complete');
  await records.delete(def, [2, N - 2], 'u');
  await records.insert(def, [{ id: N + 5, v: 3 }], 'u');
  await records.upsert(def, [{ id: 3, other: 'no v' }, { id: N - 3 }], 'u');
  await Promise.all([build, second]);
  assert.equal(records.isIndexed(def, 'v'), true);
  assertIndexMatches(records, def, 'v');
  assert.deepEqual([...records.indexKeysFor(def, 'v', 100)].sort(), [1, N - 1].sort());
  // And it stays right afterwards.
  await records.update(def, [{ id: 1, v: 6 }], 'u');
  assertIndexMatches(records, def, 'v');
});

/** A node whose index build on 'v' a stop cut short after its first chunk, opened again. */
async function reopenedAfterCutBuild(t: import('node:test').TestContext) {
  const dir = tempDir(t, 'index');
  const first = await filled(dir);
  const build = first.records.ensureIndexed(first.def, ['v']);
  build.catch(() => undefined);
  await first.records.update(first.def, [{ id: 1, v: 50 }], 'u'); // commits after the build's first chunk
  await first.engine.close();
  await assert.rejects(build);
  const { engine, records } = openRecords(dir);
  t.after(() => engine.close());
  return { engine, records, def: records.catalog.getTable('dev', 't') };
}

test('a build cut short by a stop leaves the attribute unindexed, and the next build starts from an empty store', async (t) => {
  const { engine, records, def } = await reopenedAfterCutBuild(t);
  assert.equal(records.isIndexed(def, 'v'), false);
  // Changes the partial index never heard of.
  await records.update(def, [{ id: 4, v: 99 }, { id: 5, v: 99 }], 'u');
  await records.delete(def, [6], 'u');
  await records.ensureIndexed(def, ['v']);
  assertIndexMatches(records, def, 'v');
});

test('an attribute dropped, or a table dropped, during its index build ends the build cleanly', async (t) => {
  const dir = tempDir(t, 'index');
  const { engine, records, def } = await filled(dir);
  t.after(() => engine.close());
  const build = records.ensureIndexed(def, ['v']);
  await records.update(def, [{ id: 1, v: 8 }], 'u');
  await records.dropAttribute(def, 'v');
  await build;
  assert.equal(records.isIndexed(def, 'v'), false);
  assert.equal(records.catalog.attributeSet(def).has('v'), false);
  // Added back and searched: a fresh, complete index.
  await records.update(def, [{ id: 7, v: 1 }, { id: 8, v: 1 }], 'u');
  await records.ensureIndexed(def, ['v']);
  assertIndexMatches(records, def, 'v');

  const build2 = records.ensureIndexed(def, ['missing_attr']);
  await build2; // not an attribute of the table: nothing to build
  const other = records.createTable('dev', 'u', 'id');
  await records.insert(other, Array.from({ length: N }, (_, i) => ({ id: i, w: i % 3 })), 'u');
  const build3 = records.ensureIndexed(other, ['w']);
  await records.insert(records.catalog.getTable('dev', 't'), [{ id: 10 * N }], 'u');
  await records.dropTable('dev', 'u');
  await build3;
  assert.equal(records.catalog.findTable('dev', 'u'), undefined);
});

test('a table dropped after a build was cut short by a stop takes the partial index store with it', async (t) => {
  const { engine, records, def } = await reopenedAfterCutBuild(t);
  const prefix = `i:${def.id}:`;
  assert.deepEqual(engine.storeNames(prefix), [`${prefix}v`], 'the partial store is on disk, the definition does not name it');
  assert.equal(records.isIndexed(def, 'v'), false);
  await records.dropTable('dev', 't');
  assert.deepEqual(engine.storeNames(prefix), []);
  assert.deepEqual(engine.storeNames(`d:${def.id}`), []);
});

test('a read that yields between batches stops with a 404 when its table or index is dropped meanwhile', { timeout: 60_000 }, async (t) => {
  const dir = tempDir(t, 'index');
  const { engine, records, def } = await filled(dir);
  t.after(() => engine.close());
  await records.ensureIndexed(def, ['v']);
  // Over the index (a dupSort store, read on a snapshot) and over the records.
  for (const filter of [
    { kind: 'group' as const, operator: 'and' as const, conditions: [{ kind: 'condition' as const, attribute: 'v', comparator: 'greater_than_equal' as const, value: 0 }] },
    null,
  ]) {
    const table = filter ? def : records.createTable('dev', 'plain', 'id');
    if (!filter) await records.insert(table, Array.from({ length: N }, (_, i) => ({ id: i })), 'u');
    const batches = records.queryBatches(table, { filter });
    const first = await batches.next();
    assert.equal(first.done, false);
    await records.dropTable('dev', table.name);
    await assert.rejects(batches.next(), (err: { code?: string }) => err.code === 'NOT_FOUND');
  }
});

test('a table definition held across its drop does not bring the dropped stores back', async (t) => {
  const dir = tempDir(t, 'index');
  const { engine, records, def } = await filled(dir);
  t.after(() => engine.close());
  await records.dropTable('dev', 't');
  assert.throws(() => records.get(def, 1), (err: { code?: string }) => err.code === 'NOT_FOUND');
  await assert.rejects(async () => records.insert(def, [{ id: 1 }], 'u'), (err: { code?: string }) => err.code === 'NOT_FOUND');
  assert.deepEqual(engine.storeNames(`d:${def.id}`), []);
});

test('a drop waits while another thread reads the table (a pin), then drops it', async (t) => {
  const dir = tempDir(t, 'index');
  const { engine, records, def } = await filled(dir);
  t.after(() => engine.close());
  const release = records.pin(def);
  const second = records.pin(def);
  let dropped = false;
  const dropping = records.dropTable('dev', 't').then(() => { dropped = true; });
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
  assert.equal(dropped, false);
  assert.equal(records.get(def, 1)?.id, 1, 'still readable while pinned');
  release();
  release(); // a second call of the same release does nothing
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
  assert.equal(dropped, false, 'the other pin still holds it');
  second();
  await dropping;
  assert.equal(records.catalog.findTable('dev', 't'), undefined);
});
