import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { opsClient } from '../helpers/http-client.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

let s: TestServer;
const dogPerm = { read: true, insert: true, update: false, delete: false, attribute_permissions: [] };

before(async () => {
  s = await startTestServer();
  await s.op({ operation: 'create_database', database: 'dev' });
  await s.op({ operation: 'create_table', database: 'dev', table: 'dog', primary_key: 'id' });
  await s.op({ operation: 'insert', database: 'dev', table: 'dog', records: [{ id: 1, name: 'Penny', age: 7, owner: 'Kyle' }] });
});
after(async () => { await s.close(); });

test('add_role returns the stored role; list_roles holds it beside the built-in roles', async () => {
  const r = await s.op({ operation: 'add_role', role: 'developer', permission: { super_user: false, dev: { tables: { dog: { read: true, insert: true } } } } });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.role, 'developer');
  assert.match(r.body.id, /^[0-9a-f-]{36}$/);
  assert.equal(typeof r.body.__createdtime__, 'number');
  // A missing table flag is stored as false.
  assert.deepEqual(r.body.permission.dev.tables.dog, { read: true, insert: true, update: false, delete: false, attribute_permissions: [] });
  const list = await s.op({ operation: 'list_roles' });
  assert.deepEqual(list.body.map((x: { role: string }) => x.role).sort(), ['cluster_user', 'developer', 'super_user']);
  const dup = await s.op({ operation: 'add_role', role: 'developer', permission: { super_user: false } });
  assert.equal(dup.status, 409);
  assert.equal(dup.body.error, "A role with name 'developer' already exists");
});

test('role validation answers HarperDB 400 bodies listing every problem', async () => {
  const cases: [Record<string, unknown>, { main?: string[]; schema?: Record<string, string[]> }][] = [
    [{ role: 'x', permission: { super_user: true, dev: { tables: {} } } }, { main: ["Roles with 'super_user' set to true cannot have other permissions set."] }],
    [{ role: 'x', permission: { cluster_user: true, structure_user: true } }, { main: ["Roles with 'cluster_user' set to true cannot have other permissions set."] }],
    [{ role: 'x', permission: { cluster_user: true, super_user: true } }, { main: ["Roles cannot have both 'super_user' and 'cluster_user' values included in their permissions set."] }],
    [{ role: 'x', permission: { super_user: 'yes' } }, { main: ["Value for 'super_user' permission must be a boolean"] }],
    [{ role: 'x', permission: { structure_user: 'dev' } }, { main: ["Value for 'structure_user' permission must be a boolean or Array"] }],
    [{ role: 'x', permission: { nope: { tables: {} } } }, { main: ["database 'nope' does not exist"] }],
    [{ role: 'x', permission: { dev: { tables: { cat: { read: true } } } } }, { main: ["Table 'dev.cat' does not exist"] }],
    [{ role: 'x', permission: { dev: { tables: { dog: { read: 'true' } } } } }, { schema: { dev_dog: ['Table READ permission must be a boolean'] } }],
    [{ role: 'x', permission: { dev: { tables: { dog: { read: false, attribute_permissions: [{ attribute_name: 'name', read: true }] } } } } },
      { schema: { dev_dog: ["You have a conflict with TABLE permissions for 'dev.dog' being false and ATTRIBUTE permissions being true"] } }],
    [{ role: 'x', permission: { dev: { tables: { dog: { read: true, insert: true, attribute_permissions: [{ attribute_name: '__createdtime__', read: true, insert: true }] } } } } },
      { schema: { dev_dog: ["Internal timestamp attributes - '__createdtime_' and '__updatedtime__' - cannot be inserted to or updated by HDB users."] } }],
    [{ role: 'x', permission: { dev: { tables: { dog: { read: true, attribute_permissions: [{ attribute_name: 'ghost', read: true }] } } } } },
      { schema: { dev_dog: ["Invalid attribute 'ghost' in 'attribute_permissions'"] } }],
    [{ role: 'bad name', permission: {} }, { main: ['Role is invalid'] }],
    [{ role: 'x' }, { main: ["Permission can't be blank"] }],
  ];
  for (const [body, want] of cases) {
    const r = await s.op({ operation: 'add_role', ...body });
    assert.equal(r.status, 400, JSON.stringify(body));
    assert.equal(r.body.error, 'Errors in the role permissions JSON provided');
    assert.deepEqual(r.body.main_permissions, want.main ?? [], JSON.stringify(body));
    assert.deepEqual(r.body.schema_permissions, want.schema ?? {}, JSON.stringify(body));
  }
});

test('users: add, duplicate, unknown role, list without hashes, alter, inactive, drop', async () => {
  const added = await s.op({ operation: 'add_user', role: 'developer', username: 'dev_user', password: 'dev-pw-1', active: true });
  assert.deepEqual([added.status, added.body], [200, { message: 'dev_user successfully added' }]);
  const dup = await s.op({ operation: 'add_user', role: 'developer', username: 'dev_user', password: 'x', active: true });
  assert.deepEqual([dup.status, dup.body.error], [409, 'User dev_user already exists']);
  const badRole = await s.op({ operation: 'add_user', role: 'no_such_role', username: 'u2', password: 'x', active: true });
  assert.deepEqual([badRole.status, badRole.body.error], [404, 'no_such_role role not found']);
  assert.deepEqual((await s.op({ operation: 'add_user', role: 'developer', password: 'x' })).body.error, "Username can't be blank");

  const users = await s.op({ operation: 'list_users' });
  const dev = users.body.find((u: { username: string }) => u.username === 'dev_user');
  assert.equal(dev.role.role, 'developer');
  assert.equal(dev.active, true);
  assert.ok(!JSON.stringify(users.body).includes('scrypt') && !JSON.stringify(users.body).includes('dev-pw-1'));

  const asDev = opsClient(s.url, 'dev_user', 'dev-pw-1');
  const me = await asDev({ operation: 'user_info' });
  assert.deepEqual([me.status, me.body.username, me.body.role.role], [200, 'dev_user', 'developer']);
  assert.equal((await asDev({ operation: 'search_by_id', database: 'dev', table: 'dog', ids: [1], get_attributes: ['*'] })).status, 200);

  const badAlter = await s.op({ operation: 'alter_user', username: 'dev_user', role: 'blahblah' });
  assert.deepEqual([badAlter.status, badAlter.body.error], [404, "Update failed.  Requested 'blahblah' role not found."]);
  const missing = await s.op({ operation: 'alter_user', username: 'ghost', active: false });
  assert.deepEqual([missing.status, missing.body.error], [404, 'User ghost does not exist']);

  // A password change takes effect on the next request (the old credential was cached).
  const alter = await s.op({ operation: 'alter_user', username: 'dev_user', password: 'dev-pw-2' });
  assert.equal(alter.status, 200);
  assert.deepEqual([alter.body.message, alter.body.update_hashes, alter.body.skipped_hashes, alter.body.new_attributes], ['updated 1 of 1 records', ['dev_user'], [], []]);
  assert.equal((await asDev({ operation: 'user_info' })).status, 401);
  const asDev2 = opsClient(s.url, 'dev_user', 'dev-pw-2');
  assert.equal((await asDev2({ operation: 'user_info' })).status, 200);

  // A role change takes effect on the next request.
  await s.op({ operation: 'add_role', role: 'no_tables', permission: { super_user: false } });
  assert.equal((await s.op({ operation: 'alter_user', username: 'dev_user', role: 'no_tables' })).status, 200);
  const refused = await asDev2({ operation: 'search_by_id', database: 'dev', table: 'dog', ids: [1] });
  assert.equal(refused.status, 403);
  assert.deepEqual(refused.body.invalid_schema_items, ["Table 'dev.dog' does not exist"]);

  // Inactive users cannot sign in.
  assert.equal((await s.op({ operation: 'alter_user', username: 'dev_user', active: false })).status, 200);
  const inactive = await asDev2({ operation: 'user_info' });
  assert.deepEqual([inactive.status, inactive.body.error], [401, 'Cannot complete request: User is inactive']);

  // Roles with users cannot be dropped; drop_role accepts the role name as id.
  const inUse = await s.op({ operation: 'drop_role', id: 'no_tables' });
  assert.deepEqual([inUse.status, inUse.body.error], [409, 'Cannot drop role no_tables as it has user(s) tied to this role']);
  assert.deepEqual((await s.op({ operation: 'drop_user', username: 'dev_user' })).body, { message: 'dev_user successfully deleted' });
  assert.equal((await asDev2({ operation: 'user_info' })).status, 401);
  assert.deepEqual((await s.op({ operation: 'drop_role', id: 'no_tables' })).body, { message: 'no_tables successfully deleted' });
  assert.deepEqual((await s.op({ operation: 'drop_role', id: 'no_tables' })).body.error, 'Role not found');
  assert.deepEqual((await s.op({ operation: 'drop_user', username: 'dev_user' })).body.error, 'User dev_user does not exist');
});

test('alter_role changes permissions (found by id or name); a cluster user keeps its role', async () => {
  const role = (await s.op({ operation: 'list_roles' })).body.find((r: { role: string }) => r.role === 'developer');
  const altered = await s.op({ operation: 'alter_role', id: role.id, permission: { super_user: false, dev: { tables: { dog: dogPerm } } } });
  assert.equal(altered.status, 200, JSON.stringify(altered.body));
  assert.equal(altered.body.id, role.id);
  assert.equal(altered.body.permission.dev.tables.dog.update, false);
  assert.equal((await s.op({ operation: 'alter_role', id: 'developer', role: 'developer', permission: { super_user: false } })).status, 200);
  assert.equal((await s.op({ operation: 'alter_role', id: 'ghost', permission: { super_user: false } })).status, 404);

  await s.op({ operation: 'add_user', role: 'cluster_user', username: 'replicator', password: 'c-pw', active: true });
  const change = await s.op({ operation: 'alter_user', username: 'replicator', role: 'developer' });
  assert.deepEqual([change.status, change.body.error], [400, 'cannot change the role of a cluster_user']);
});

test('a restart keeps users, roles and the token key', async () => {
  const root = s.rootPath;
  await s.op({ operation: 'add_role', role: 'persisted', permission: { super_user: false, dev: { tables: { dog: dogPerm } } } });
  await s.op({ operation: 'add_user', role: 'persisted', username: 'keeper', password: 'keep-pw', active: true });
  const tokens = await s.op({ operation: 'create_authentication_tokens', username: 'keeper', password: 'keep-pw' });
  assert.equal(tokens.status, 200);
  await s.node.close();
  const again = await startTestServer({}, { rootPath: root });
  try {
    const keeper = opsClient(again.url, 'keeper', 'keep-pw');
    const me = await keeper({ operation: 'user_info' });
    assert.deepEqual([me.status, me.body.role.role], [200, 'persisted']);
    const viaToken = await fetch(again.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens.body.operation_token}` }, body: JSON.stringify({ operation: 'user_info' }) });
    assert.equal(viaToken.status, 200);
    assert.equal(((await again.op({ operation: 'list_roles' })).body as { role: string }[]).filter((r) => r.role === 'super_user').length, 1);
  } finally {
    await again.close();
    s = await startTestServer();
  }
});
