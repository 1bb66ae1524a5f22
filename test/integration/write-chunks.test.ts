import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openRecords, tempDir } from '../helpers/local-records.js';
import { WRITE_CHUNK_ROWS } from '../../src/records/writes.js';

const rows = (from: number, n: number, v = 'a') => Array.from({ length: n }, (_, i) => ({ id: from + i, v }));

test('a write larger than WRITE_CHUNK_ROWS commits chunk by chunk, in order, and other writes commit between its chunks', async (t) => {
  const dir = tempDir(t, 'chunks');
  const { engine, changelog, records } = openRecords(dir);
  t.after(() => engine.close());
  const big = records.createTable('dev', 'big', 'id');
  const other = records.createTable('dev', 'other', 'id');
  const n = 2 * WRITE_CHUNK_ROWS + 1;

  // One key twice across a chunk boundary: the later row wins, as in one transaction.
  const input = rows(1, n);
  input[WRITE_CHUNK_ROWS + 5] = { id: 3, v: 'again' };
  let bigDone = false;
  const writing = records.upsert(big, input, 'u').then((r) => { bigDone = true; return r; });
  await records.insert(other, rows(1, 1), 'u');
  assert.equal(bigDone, false, 'a write queued after the big one started commits before it ends');
  const r = await writing;
  assert.equal(r.written.length, n);
  assert.deepEqual(r.skipped, []);
  assert.equal(records.get(big, 3)?.v, 'again');
  assert.equal(records.table('dev', 'big').data.getCount(), n - 1);

  // Transactions of at most WRITE_CHUNK_ROWS entries (fewer when one used up its time), in input
  // order: each chunk's entries share its first seq, and the chunks cover the input once.
  const entries = [...changelog.readAfter('dev', 'big', 0)];
  assert.equal(entries.length, n);
  const sizes = new Map<number, number>();
  for (const e of entries) sizes.set(e.txn ?? e.seq, (sizes.get(e.txn ?? e.seq) ?? 0) + 1);
  assert.ok(sizes.size >= 3, `${sizes.size} transactions`);
  for (const [txn, size] of sizes) assert.ok(size <= WRITE_CHUNK_ROWS, `transaction ${txn} holds ${size} entries`);
  // A transaction's entries are contiguous: its id is the seq of the first, and the next one starts after the last.
  let expect = entries[0]!.seq;
  for (const [txn, size] of sizes) { assert.equal(txn, expect); expect += size; }
  assert.deepEqual(entries.map((e) => e.key), input.map((r) => r.id));
  assert.equal(r.lastSeq, entries[entries.length - 1]!.seq);

  // Updates and deletes chunk the same way; skipped keys are kept in order.
  const updated = await records.update(big, [...rows(1, WRITE_CHUNK_ROWS + 10, 'b'), { id: 10 * n, v: 'missing' }], 'u');
  // (the key replaced by the repeated 3 above was never written)
  assert.equal(updated.written.length, WRITE_CHUNK_ROWS + 9);
  assert.deepEqual(updated.skipped, [WRITE_CHUNK_ROWS + 6, 10 * n]);
  const keys = [...Array.from({ length: WRITE_CHUNK_ROWS + 1 }, (_, i) => i + 1), 10 * n];
  const deleted = await records.delete(big, keys, 'u');
  assert.equal(deleted.written.length, WRITE_CHUNK_ROWS + 1);
  assert.deepEqual(deleted.skipped, [10 * n]);
  assert.equal(records.get(big, WRITE_CHUNK_ROWS + 2)?.v, 'b');
  assert.equal(records.get(big, 1), undefined);
});

test('a write that fails validation writes nothing, whatever its size', async (t) => {
  const dir = tempDir(t, 'chunks');
  const { engine, records } = openRecords(dir);
  t.after(() => engine.close());
  const big = records.createTable('dev', 'big', 'id');
  const input: unknown[] = rows(1, 3 * WRITE_CHUNK_ROWS);
  input.push({ id: { bad: true } });
  await assert.rejects(async () => records.insert(big, input, 'u'), /primary key/);
  assert.equal(records.table('dev', 'big').data.getCount(), 0);
});

test('delete_records_before over more records than one transaction visits removes exactly the older ones, index entries too', async (t) => {
  const dir = tempDir(t, 'chunks');
  const { engine, records } = openRecords(dir);
  t.after(() => engine.close());
  const def = records.createTable('dev', 'mixed', 'id');
  const n = 3 * WRITE_CHUNK_ROWS;
  // Old and new records interleave in key order: odd keys first, even keys after the cut.
  const tagged = (parity: number) => Array.from({ length: n }, (_, i) => ({ id: 2 * i + parity, tag: parity ? 'old' : 'new' }));
  await records.insert(def, tagged(1), 'u');
  await records.ensureIndexed(def, ['tag']);
  const cut = Date.now() + 1;
  while (Date.now() <= cut) await new Promise((r) => setTimeout(r, 1));
  await records.insert(def, tagged(0), 'u');
  assert.equal(await records.purgeCreatedBefore(records.table('dev', 'mixed').def, cut), n);
  assert.equal(records.count(def), n);
  assert.equal(records.get(def, 1), undefined);
  assert.equal(records.get(def, 2 * n - 2)?.tag, 'new');
  const index = records.table('dev', 'mixed').index('tag');
  assert.equal([...index.getValues('old')].length, 0);
  assert.equal([...index.getValues('new')].length, n);
});

test('a table dropped while a split write or a pass over it is under way ends them with an error, never a crash', async (t) => {
  const dir = tempDir(t, 'chunks');
  const { engine, records } = openRecords(dir);
  t.after(() => engine.close());
  const n = 4 * WRITE_CHUNK_ROWS;
  const fresh = async (indexed: boolean) => {
    const def = records.createTable('dev', 'gone', 'id', indexed ? ['v'] : []);
    await records.insert(def, rows(1, WRITE_CHUNK_ROWS), 'u');
    return def;
  };
  // (Before the check, a 60,000-row insert racing a drop_table killed the node with SIGSEGV.)
  for (const indexed of [false, true]) {
    let def = await fresh(indexed);
    const writing = records.upsert(def, rows(1, n, 'b'), 'u');
    await records.dropTable('dev', 'gone');
    await assert.rejects(writing, /Table 'dev\.gone' does not exist/);

    def = await fresh(indexed);
    const deleting = records.delete(def, Array.from({ length: n }, (_, i) => i + 1), 'u');
    await records.dropTable('dev', 'gone');
    await assert.rejects(deleting, /Table 'dev\.gone' does not exist/);

    def = await fresh(indexed);
    const purging = records.purgeCreatedBefore(def, Date.now() + 1000);
    await records.dropTable('dev', 'gone');
    assert.ok((await purging) <= WRITE_CHUNK_ROWS);
  }
  // The name is free and the node's storage still works.
  const again = records.createTable('dev', 'gone', 'id');
  await records.insert(again, rows(1, 3), 'u');
  assert.equal(records.count(again), 3);
});
