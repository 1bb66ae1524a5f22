/** Unit tests of the Users & Roles page logic (studio/src/lib/roles.ts). */
import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { permissionFromRows, permissionRows, roleKind, toggle, validateNewUser } from '../../studio/src/lib/roles.js';

const schema = { dev: { dog: {} as never, cat: {} as never }, other: { bird: {} as never } };
const role = { id: 'r1', role: 'dev', permission: { super_user: false, structure_user: ['dev'], dev: { tables: { dog: { read: true, insert: false, update: false, delete: false, attribute_permissions: [{ attribute_name: 'name', read: true, insert: false, update: false }] } } }, gone: { tables: { old: { read: true } } } } };

test('permission rows cover every table of the node and every table the role names, with its flags', () => {
  const rows = permissionRows(role, schema);
  assert.deepEqual(rows.map((r) => `${r.database}.${r.table}`), ['dev.cat', 'dev.dog', 'gone.old', 'other.bird']);
  assert.deepEqual([rows[1]!.read, rows[1]!.insert, rows[1]!.attributePermissions.length], [true, false, 1]);
  assert.equal(rows[0]!.read, false);
});

test('edited rows become the permission document; unticked tables are left out, attribute rules and structure_user kept', () => {
  let rows = permissionRows(role, schema);
  rows = toggle(rows, 'dev', 'cat', 'insert');
  rows = toggle(rows, 'gone', 'old', 'read');
  assert.equal(permissionRows(role, schema)[0]!.insert, false, 'toggle does not mutate');
  assert.deepEqual(permissionFromRows(rows, role.permission.structure_user), {
    super_user: false,
    structure_user: ['dev'],
    dev: { tables: {
      cat: { read: false, insert: true, update: false, delete: false, attribute_permissions: [] },
      dog: { read: true, insert: false, update: false, delete: false, attribute_permissions: [{ attribute_name: 'name', read: true, insert: false, update: false }] },
    } },
  });
});

test('role kinds and new-user validation', () => {
  assert.equal(roleKind({ id: 'a', role: 'a', permission: { super_user: true } }), 'super_user');
  assert.equal(roleKind({ id: 'b', role: 'b', permission: { cluster_user: true } }), 'cluster_user');
  assert.equal(roleKind(role), 'standard');
  assert.equal(validateNewUser({ username: '', password: 'x', role: 'r' }), 'Enter a username.');
  assert.match(validateNewUser({ username: 'a b', password: 'x', role: 'r' })!, /letters, digits/);
  assert.equal(validateNewUser({ username: 'ann', password: '', role: 'r' }), 'Enter a password.');
  assert.equal(validateNewUser({ username: 'ann', password: 'x', role: 'r' }), null);
});
