/**
 * SQL INSERT/UPDATE/DELETE answer with the NoSQL operations' shapes, go through the same write
 * path (change log, time stamps, indexes) and replicate to a subscribed node.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { waitFor } from '../helpers/wait-for.js';
import { startTestServer } from '../helpers/test-server.js';
import { rowsOf, startClusterNode } from '../replication/helpers/cluster.js';
import { sql } from './fixture.js';

test('INSERT, UPDATE and DELETE answer like insert, update and delete, and keep indexes and the change log', async (t) => {
  const s = await startTestServer();
  t.after(() => s.close());
  await s.op({ operation: 'create_database', database: 'dev' });
  await s.op({ operation: 'create_table', database: 'dev', table: 'dog', primary_key: 'id', attributes: [{ name: 'age', indexed: true }] });

  assert.deepEqual(await sql(s.op, "INSERT INTO dev.dog (id, dog_name, age, meta) VALUES (1, 'Penny', 7, NULL), (2, 'Kato', 3, NULL)"),
    { message: 'inserted 2 of 2 records', inserted_hashes: [1, 2], skipped_hashes: [] });
  assert.deepEqual(await sql(s.op, "INSERT INTO dev.dog (id, dog_name) VALUES (2, 'Again'), (3, 'Riley')"),
    { message: 'inserted 1 of 2 records', inserted_hashes: [3], skipped_hashes: [2] });
  const generated = await sql(s.op, "INSERT INTO dev.dog (dog_name, age) VALUES ('Nokey', UPPER('x') = 'X')");
  assert.equal(generated.inserted_hashes.length, 1);
  assert.match(String(generated.inserted_hashes[0]), /^[0-9a-f-]{36}$/);

  const [before] = await sql(s.op, 'SELECT * FROM dev.dog WHERE id = 2');
  assert.deepEqual(await sql(s.op, "UPDATE dev.dog SET age = age + 1, owner = CONCAT('o-', dog_name) WHERE age < 5"),
    { message: 'updated 1 of 1 records', update_hashes: [2], skipped_hashes: [] });
  const [after] = await sql(s.op, 'SELECT * FROM dev.dog WHERE id = 2');
  assert.deepEqual([after.age, after.owner, after.dog_name, after.__createdtime__], [4, 'o-Kato', 'Kato', before.__createdtime__]);
  assert.ok(after.__updatedtime__ >= before.__updatedtime__);
  // the age index followed the update
  assert.deepEqual(await sql(s.op, 'SELECT id FROM dev.dog WHERE age = 4'), [{ id: 2 }]);
  assert.deepEqual(await sql(s.op, 'SELECT id FROM dev.dog WHERE age = 3'), []);
  assert.deepEqual(await sql(s.op, 'UPDATE dev.dog SET age = 1 WHERE id = 999'), { message: 'updated 0 of 0 records', update_hashes: [], skipped_hashes: [] });

  assert.deepEqual(await sql(s.op, 'DELETE FROM dev.dog WHERE id = 3'), { message: '1 of 1 record successfully deleted', deleted_hashes: [3], skipped_hashes: [] });
  assert.deepEqual(await sql(s.op, 'DELETE FROM dev.dog WHERE id IN (1, 2)'), { message: '2 of 2 records successfully deleted', deleted_hashes: [1, 2], skipped_hashes: [] });
  assert.deepEqual(await sql(s.op, 'SELECT COUNT(*) AS n FROM dev.dog'), [{ n: 1 }]);

  const log = await s.op({ operation: 'read_audit_log', database: 'dev', table: 'dog', search_type: 'hash_value', search_values: [2] });
  assert.equal(log.status, 200);
  const ops = JSON.stringify(log.body);
  for (const op of ['insert', 'update', 'delete']) assert.match(ops, new RegExp(`"${op}"`), `the change log holds the SQL ${op}`);
  assert.match(ops, /"admin"/, 'the change log names the user');
});

test('SQL writes replicate to a subscribed node like any other write', async (t) => {
  const a = await startClusterNode(t, { name: 'sql-a' });
  const b = await startClusterNode(t, { name: 'sql-b' });
  for (const n of [a, b]) {
    await n.op({ operation: 'create_database', database: 'dev' });
    await n.op({ operation: 'create_table', database: 'dev', table: 'reading', primary_key: 'id' });
  }
  const added = await b.op({ operation: 'add_node', name: 'sql-a', host: '127.0.0.1', port: a.clusteringPort, subscriptions: [{ channel: 'dev:reading', subscribe: true, publish: false }] });
  assert.equal(added.status, 200, JSON.stringify(added.body));
  await waitFor(async () => (await b.op({ operation: 'cluster_status' })).body.status.outbound_connections[0]?.state === 'open', { what: 'b -> a link open' });

  await sql(a.op, "INSERT INTO dev.reading (id, machine, value) VALUES (1, 'm1', 10), (2, 'm2', 20), (3, 'm3', 30)");
  await sql(a.op, "UPDATE dev.reading SET value = value * 2 WHERE machine = 'm2'");
  await sql(a.op, 'DELETE FROM dev.reading WHERE id = 3');
  await waitFor(async () => {
    const rows = await rowsOf(b.op, 'dev', 'reading');
    return rows.length === 2 && rows[1]!.value === 40;
  }, { what: 'the SQL insert, update and delete at b', timeoutMs: 20_000 });
  assert.deepEqual(await sql(b.op, 'SELECT id, machine, value FROM dev.reading ORDER BY id'), [{ id: 1, machine: 'm1', value: 10 }, { id: 2, machine: 'm2', value: 40 }]);
});
