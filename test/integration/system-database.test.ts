import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { opsClient } from '../helpers/http-client.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

const FORBIDDEN = 'This operation is not authorized due to role restrictions and/or invalid database items';
let s: TestServer;

before(async () => {
  s = await startTestServer({ CLUSTERING: 'true', CLUSTERING_PORT: '0', CLUSTERING_PASSWORD: 'cluster-pw', NODE_NAME: 'sysdb' });
  await s.op({ operation: 'create_database', database: 'dev' });
  await s.op({ operation: 'create_table', database: 'dev', table: 'dog', primary_key: 'id' });
  await s.op({ operation: 'add_role', role: 'reader', permission: { dev: { tables: { dog: { read: true } } } } });
  await s.op({ operation: 'add_user', role: 'reader', username: 'reader', password: 'reader-pw', active: true });
  await s.op({ operation: 'add_node', name: 'peer-a', host: '127.0.0.1', port: 1, subscriptions: [{ channel: 'dev:dog', publish: true, subscribe: false }] });
});
after(async () => { await s.close(); });

test('describe_database system lists the read-only views; hdb_user has no password attribute', async () => {
  const r = await s.op({ operation: 'describe_database', database: 'system' });
  assert.equal(r.status, 200);
  assert.deepEqual(Object.keys(r.body).sort(), ['hdb_job', 'hdb_nodes', 'hdb_role', 'hdb_user']);
  assert.equal(r.body.hdb_user.hash_attribute, 'username');
  assert.deepEqual(r.body.hdb_user.attributes.map((a: { attribute: string }) => a.attribute).sort(), ['__createdtime__', '__updatedtime__', 'active', 'role', 'username']);
  assert.equal(r.body.hdb_user.record_count, 3);
  assert.equal((await s.op({ operation: 'describe_table', database: 'system', table: 'hdb_role' })).body.hash_attribute, 'id');
});

test('the views are searchable with search_by_value, search_by_conditions and search_by_id', async () => {
  const users = await s.op({ operation: 'search_by_value', database: 'system', table: 'hdb_user', attribute: 'username', value: '*', get_attributes: ['*'] });
  assert.deepEqual(users.body.map((u: { username: string }) => u.username), ['admin', 'cluster_user', 'reader']);
  assert.ok(users.body.every((u: Record<string, unknown>) => !('passwordHash' in u) && !('password' in u)));
  const roles = await s.op({ operation: 'list_roles' });
  const reader = roles.body.find((r: { role: string }) => r.role === 'reader');
  assert.equal(users.body.find((u: { username: string }) => u.username === 'reader').role, reader.id);
  const su = await s.op({ operation: 'search_by_conditions', database: 'system', table: 'hdb_role', conditions: [{ attribute: 'role', comparator: 'equals', value: 'super_user' }] });
  assert.deepEqual(su.body.map((r: { permission: unknown }) => r.permission), [{ super_user: true }]);
  const byId = await s.op({ operation: 'search_by_id', database: 'system', table: 'hdb_role', ids: [reader.id], get_attributes: ['role'] });
  assert.deepEqual(byId.body, [{ role: 'reader' }]);
  const job = (await s.op({ operation: 'csv_data_load', database: 'dev', table: 'dog', data: 'id\n1\n' })).body.job_id;
  const jobs = await s.op({ operation: 'search_by_value', database: 'system', table: 'hdb_job', attribute: 'id', value: job });
  assert.deepEqual([jobs.body.length, jobs.body[0].type, jobs.body[0].user], [1, 'csv_data_load', 'admin']);
  assert.equal((await s.op({ operation: 'search_by_value', database: 'system', table: 'nope', attribute: 'x', value: 1 })).status, 404);
});

test('hdb_nodes lists each peer as cluster_status does (name, subscriptions, system_info)', async () => {
  const nodes = (await s.op({ operation: 'search_by_value', database: 'system', table: 'hdb_nodes', attribute: 'name', value: '*' })).body;
  const status = (await s.op({ operation: 'cluster_status' })).body.status.outbound_connections;
  assert.deepEqual(nodes.map((n: { name: string }) => n.name), status.map((c: { node_name: string }) => c.node_name));
  assert.deepEqual(nodes[0].subscriptions.map((x: { channel: string; publish: boolean; subscribe: boolean }) => [x.channel, x.publish, x.subscribe]),
    status[0].subscriptions.map((x: { channel: string; publish: boolean; subscribe: boolean }) => [x.channel, x.publish, x.subscribe]));
  assert.equal(nodes[0].system_info.state, status[0].state);
});

test('writes to the system database are refused with a clear 403; non-super users cannot read it', async () => {
  const refused = { error: FORBIDDEN, unauthorized_access: ["The 'system' database, tables and records are used internally by FerryDB and cannot be updated or removed."], invalid_schema_items: [] };
  for (const body of [
    { operation: 'insert', database: 'system', table: 'hdb_user', records: [{ username: 'evil' }] },
    { operation: 'update', schema: 'system', table: 'hdb_role', records: [{ id: 'x' }] },
    { operation: 'delete', database: 'system', table: 'hdb_user', ids: ['admin'] },
    { operation: 'drop_table', database: 'system', table: 'hdb_user' },
    { operation: 'drop_database', database: 'system' },
    { operation: 'csv_data_load', database: 'system', table: 'hdb_user', data: 'username\nx\n' },
  ]) assert.deepEqual(await s.op(body), { status: 403, body: refused }, body.operation);
  assert.equal((await s.op({ operation: 'create_table', database: 'system', table: 'x', primary_key: 'id' })).status, 400);
  const reader = opsClient(s.url, 'reader', 'reader-pw');
  const denied = await reader({ operation: 'search_by_value', database: 'system', table: 'hdb_user', attribute: 'username', value: '*' });
  assert.deepEqual(denied.body.unauthorized_access, ["Operation 'search_by_value' is restricted to 'super_user' roles"]);
  assert.equal((await s.op({ operation: 'list_users' })).body.length, 3);
});
