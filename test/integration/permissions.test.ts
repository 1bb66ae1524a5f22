import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { opsClient } from '../helpers/http-client.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

let s: TestServer;
before(async () => { s = await startTestServer({ CLUSTERING: 'true', CLUSTERING_PORT: '0', CLUSTERING_USER: 'cluster_user', CLUSTERING_PASSWORD: 'cluster-pw', NODE_NAME: 'perm-node' }); });
after(async () => { await s.close(); });

test('the cluster user authenticates but may not use data or admin operations (403 with HarperDB body)', async () => {
  const cluster = opsClient(s.url, 'cluster_user', 'cluster-pw');
  const restricted = await cluster({ operation: 'create_database', database: 'x' });
  assert.equal(restricted.status, 403);
  assert.equal(restricted.body.error, 'This operation is not authorized due to role restrictions and/or invalid database items');
  assert.deepEqual(restricted.body.unauthorized_access, ["Operation 'create_database' is restricted to 'super_user' roles"]);
  assert.deepEqual(restricted.body.invalid_schema_items, []);
  assert.equal((await cluster({ operation: 'search_by_id', table: 't', ids: [1] })).status, 403);
  const me = await cluster({ operation: 'user_info' });
  assert.equal(me.status, 200);
  assert.equal(me.body.role.role, 'cluster_user');
  assert.equal((await opsClient(s.url, 'cluster_user', 'wrong')({ operation: 'user_info' })).status, 401);
});

test('list_users never shows password hashes', async () => {
  const r = await s.op({ operation: 'list_users' });
  assert.equal(r.status, 200);
  assert.deepEqual(r.body.map((u: { username: string }) => u.username).sort(), ['admin', 'cluster_user']);
  assert.ok(!JSON.stringify(r.body).includes('scrypt'));
});
