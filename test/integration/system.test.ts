import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

let s: TestServer;
before(async () => {
  s = await startTestServer({ CLUSTERING_PASSWORD: 'very-secret-cluster-pw' });
  await s.op({ operation: 'create_table', database: 'dev', table: 'dog', primary_key: 'id' });
});
after(async () => { await s.close(); });

test('system_information reports real memory, cpu, disk and table sizes', async () => {
  await s.op({ operation: 'insert', database: 'dev', table: 'dog', records: [{ id: 1 }, { id: 2 }] });
  const r = (await s.op({ operation: 'system_information' })).body;
  assert.ok(r.memory.total > 0 && r.memory.process_rss > 0);
  assert.ok(r.cpu.cores >= 1);
  assert.ok(r.disk.size > 0 && r.disk.available > 0);
  assert.ok(r.time.current > 0);
  assert.equal(r.system.node_version, process.version);
  const t = r.table_size.find((x: { table: string }) => x.table === 'dog');
  assert.equal(t.record_count, 2);
  const only = (await s.op({ operation: 'system_information', attributes: ['memory'] })).body;
  assert.deepEqual(Object.keys(only), ['memory']);
});

test('get_configuration returns the settings without secrets', async () => {
  const r = await s.op({ operation: 'get_configuration' });
  assert.equal(r.status, 200);
  assert.equal(r.body.operationsApi.network.host, '127.0.0.1');
  const text = JSON.stringify(r.body);
  assert.ok(!text.includes('very-secret-cluster-pw') && !text.includes('secret-pw'));
});

test('read_audit_log / read_transaction_log expose the change log with filters', async () => {
  await s.op({ operation: 'update', database: 'dev', table: 'dog', records: [{ id: 1, name: 'Penny' }] });
  await s.op({ operation: 'delete', database: 'dev', table: 'dog', ids: [2] });
  const all = (await s.op({ operation: 'read_audit_log', database: 'dev', table: 'dog' })).body;
  assert.deepEqual(all.map((e: { operation: string }) => e.operation), ['insert', 'insert', 'update', 'delete']);
  assert.equal(all[2].records[0].name, 'Penny');
  assert.equal(all[0].user_name, 'admin');
  assert.deepEqual(all[3].hash_values, [2]);
  const byKey = (await s.op({ operation: 'read_transaction_log', schema: 'dev', table: 'dog', search_type: 'hash_value', search_values: [1] })).body;
  assert.equal(byKey.length, 2);
  const byTime = (await s.op({ operation: 'read_audit_log', database: 'dev', table: 'dog', search_type: 'timestamp', search_values: [Date.now() + 60_000] })).body;
  assert.equal(byTime.length, 0);
  assert.equal((await s.op({ operation: 'read_audit_log', database: 'dev', table: 'dog', search_type: 'bogus', search_values: [] })).status, 400);
});

test('user_info describes the caller', async () => {
  const r = (await s.op({ operation: 'user_info' })).body;
  assert.equal(r.username, 'admin');
  assert.equal(r.role.permission.super_user, true);
  assert.equal(r.password, undefined);
});
