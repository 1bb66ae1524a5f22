import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ChangeEntry } from '../../src/changelog/entry.js';
import { applyBatch } from '../../src/replication/receiver.js';
import { startClusterNode } from './helpers/cluster.js';

function entries(origin: string, from: number, n: number): ChangeEntry[] {
  return Array.from({ length: n }, (_, i) => ({
    seq: 1000 + from + i, hlc: 1_700_000_000_000_000 + from + i, origin, originSeq: from + i, database: 'd', table: 't',
    op: 'insert' as const, key: from + i, record: { id: from + i, v: (from + i) / 4 }, user: 'admin',
  }));
}

test('receiver ignores a batch it has already applied (same batch delivered twice changes nothing)', async (t) => {
  const n = await startClusterNode(t, { name: 'recv', clustering: false });
  const { records, changelog } = n.node.services;
  const deps = { records, cursors: n.replication.cursors, link: 'in:edge', self: 'recv', peer: 'edge' };
  const batch = entries('edge', 1, 50);
  const header = { db: 'd', table: 't', hash: 'id', id: 1, last: 1050 };
  const first = await applyBatch(deps, header, batch);
  assert.deepEqual(first, { applied: 50, duplicates: 0, positioned: true });
  const logAfterFirst = changelog.lastSeq('d', 't');
  const snapshot = await records.query(records.catalog.getTable('d', 't'), { filter: null });
  const second = await applyBatch(deps, header, batch);
  assert.deepEqual(second, { applied: 0, duplicates: 50, positioned: true });
  assert.equal(changelog.lastSeq('d', 't'), logAfterFirst, 'nothing re-logged');
  assert.equal(records.count(records.catalog.getTable('d', 't')), 50);
  assert.deepEqual(await records.query(records.catalog.getTable('d', 't'), { filter: null }), snapshot);
  assert.equal(n.replication.cursors.cursor('in:edge', 'd', 't')?.seq, 1050);
  assert.equal(n.replication.cursors.cursor('in:edge', 'd', 't')?.table, records.catalog.getTable('d', 't').id, 'the cursor names the table incarnation');
  assert.equal(n.replication.cursors.applied('edge', 'd', 't'), 50);
  // an overlapping batch applies only the new tail; an older replay does not move the cursor back
  const third = await applyBatch(deps, { ...header, id: 2, last: 1060 }, entries('edge', 41, 20));
  assert.deepEqual(third, { applied: 10, duplicates: 10, positioned: true });
  await applyBatch(deps, header, batch);
  assert.equal(n.replication.cursors.cursor('in:edge', 'd', 't')?.seq, 1060);
  // own entries coming back are never applied
  const own = await applyBatch(deps, { ...header, id: 3, last: 1070 }, entries('recv', 500, 5));
  assert.deepEqual(own, { applied: 0, duplicates: 5, positioned: true });
  assert.equal(records.count(records.catalog.getTable('d', 't')), 60);
});

test('a table read while the first replicated batch after a restart commits does not fail (stores opened outside the transaction)', async (t) => {
  const n = await startClusterNode(t, { name: 'recv', clustering: false });
  await n.op({ operation: 'create_database', database: 'd' });
  await n.op({ operation: 'create_table', database: 'd', table: 't', primary_key: 'id' });
  await n.op({ operation: 'insert', database: 'd', table: 't', records: [{ id: 1 }] });
  const root = n.rootPath;
  await n.stop();
  const again = await startClusterNode(t, { name: 'recv', clustering: false, rootPath: root });
  t.after(() => n.close());
  const { records } = again.node.services;
  let inTxn = false;
  const applying = records.applyRemote(entries('edge', 2, 1).map((e) => ({ ...e, database: 'd', table: 't' })), () => 'id', () => { inTxn = true; });
  while (!inTxn) await new Promise((r) => setImmediate(r));
  // The transaction ran its callback (and may not have committed yet): a search must still work.
  const ids = (await records.query(records.catalog.getTable('d', 't'), { filter: null })).map((r) => r.id);
  assert.ok(ids.includes(1), JSON.stringify(ids));
  await applying;
  assert.equal(records.count(records.catalog.getTable('d', 't')), 2);
});
