/**
 * The permission matrix, table-driven: every role kind against every operation group, with the
 * expected status and body (HarperDB's 403 shapes). One row per (operation, role kind).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { opsClient, type Op } from '../helpers/http-client.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

const FORBIDDEN = 'This operation is not authorized due to role restrictions and/or invalid database items';
const KINDS = ['super', 'structure', 'read_only', 'insert_only', 'attribute', 'inactive', 'cluster'] as const;
type Kind = (typeof KINDS)[number];

const flags = (read: boolean, insert: boolean, update: boolean, del: boolean, attribute_permissions: unknown[] = []) => ({ read, insert, update, delete: del, attribute_permissions });
const ROLES: Record<Exclude<Kind, 'super' | 'inactive' | 'cluster'>, unknown> = {
  structure: { structure_user: true },
  read_only: { dev: { tables: { dog: flags(true, false, false, false) } } },
  insert_only: { dev: { tables: { dog: flags(false, true, false, false) } } },
  attribute: { dev: { tables: { dog: flags(true, true, true, true, [
    { attribute_name: 'name', read: true, insert: true, update: false },
    { attribute_name: 'owner', read: false, insert: false, update: false },
  ]) } } },
};

const su = (op: string) => ({ error: FORBIDDEN, unauthorized_access: [`Operation '${op}' is restricted to 'super_user' roles`], invalid_schema_items: [] });
const noDog = { error: FORBIDDEN, unauthorized_access: [], invalid_schema_items: ["Table 'dev.dog' does not exist"] };
const needs = (perms: string[], attrs: { attribute_name: string; required_permissions: string[] }[] = []) =>
  ({ error: FORBIDDEN, unauthorized_access: [{ schema: 'dev', table: 'dog', required_table_permissions: perms, required_attribute_permissions: attrs }], invalid_schema_items: [] });
const noAttr = (a: string) => ({ error: FORBIDDEN, unauthorized_access: [], invalid_schema_items: [`Attribute '${a}' does not exist on 'dev.dog'`] });
/** Expected outcome: status plus the exact body, or a check of a 200 body. */
type Expect = { status: number; body?: unknown; check?: (body: any) => void };
const INACTIVE: Expect = { status: 401, body: { error: 'Cannot complete request: User is inactive' } };

const ok = (check?: (body: any) => void): Expect => ({ status: 200, ...(check ? { check } : {}) });
const no = (body: unknown): Expect => ({ status: 403, body });

let s: TestServer;
let adminJob = '';
const clients = new Map<Kind, Op>();

before(async () => {
  s = await startTestServer({ CLUSTERING: 'true', CLUSTERING_PORT: '0', CLUSTERING_PASSWORD: 'cluster-pw', NODE_NAME: 'matrix' });
  await s.op({ operation: 'create_database', database: 'dev' });
  await s.op({ operation: 'create_table', database: 'dev', table: 'dog', primary_key: 'id' });
  await s.op({ operation: 'create_database', database: 'other' });
  await s.op({ operation: 'create_table', database: 'other', table: 'cat', primary_key: 'id' });
  await s.op({ operation: 'insert', database: 'dev', table: 'dog', records: [{ id: 1, name: 'Penny', owner: 'Kyle', age: 7 }] });
  adminJob = (await s.op({ operation: 'csv_data_load', database: 'other', table: 'cat', data: 'id\n1\n' })).body.job_id;
  clients.set('super', s.op);
  for (const [kind, permission] of Object.entries(ROLES)) {
    assert.equal((await s.op({ operation: 'add_role', role: kind, permission })).status, 200, kind);
    await s.op({ operation: 'add_user', role: kind, username: kind, password: `${kind}-pw`, active: true });
    clients.set(kind as Kind, opsClient(s.url, kind, `${kind}-pw`));
  }
  await s.op({ operation: 'add_user', role: 'read_only', username: 'inactive', password: 'inactive-pw', active: false });
  clients.set('inactive', opsClient(s.url, 'inactive', 'inactive-pw'));
  clients.set('cluster', opsClient(s.url, 'cluster_user', 'cluster-pw'));
});
after(async () => { await s.close(); });

const rowsHave = (keys: string[]) => (b: any) => assert.deepEqual(Object.keys(b[0]).sort(), keys);
const dbs = (want: string[]) => (b: any) => assert.deepEqual(Object.keys(b).sort(), want);

const notYours: Expect = { status: 404, check: (b) => assert.deepEqual(b, { error: `job '${adminJob}' not found` }) };

interface Row { group: string; body: (kind: Kind, n: number) => Record<string, unknown>; expect: Partial<Record<Kind, Expect>> }

const MATRIX: Row[] = [
  { group: 'describe', body: () => ({ operation: 'describe_all' }), expect: {
    super: ok(dbs(['dev', 'other'])), structure: ok(dbs(['dev', 'other'])), read_only: ok(dbs(['dev'])), insert_only: ok(dbs(['dev'])),
    attribute: ok((b) => { dbs(['dev'])(b); assert.deepEqual(b.dev.dog.attributes.map((a: { attribute: string }) => a.attribute).sort(), ['__createdtime__', '__updatedtime__', 'id', 'name']); }),
    cluster: ok(dbs([])) } },
  { group: 'describe', body: () => ({ operation: 'describe_table', database: 'other', table: 'cat' }), expect: {
    super: ok(), structure: ok(), read_only: no({ error: FORBIDDEN, unauthorized_access: ["Your role does not have permission to view database.table metadata for 'other.cat'"], invalid_schema_items: [] }) } },
  { group: 'search', body: () => ({ operation: 'search_by_id', database: 'dev', table: 'dog', ids: [1], get_attributes: ['*'] }), expect: {
    super: ok(rowsHave(['__createdtime__', '__updatedtime__', 'age', 'id', 'name', 'owner'])), structure: no(noDog), read_only: ok(rowsHave(['__createdtime__', '__updatedtime__', 'age', 'id', 'name', 'owner'])),
    insert_only: no(needs(['read'])), attribute: ok(rowsHave(['__createdtime__', '__updatedtime__', 'id', 'name'])), cluster: no(noDog) } },
  { group: 'search', body: () => ({ operation: 'search_by_value', database: 'dev', table: 'dog', attribute: 'owner', value: 'Kyle', get_attributes: ['id'] }), expect: {
    super: ok((b) => assert.deepEqual(b, [{ id: 1 }])), read_only: ok((b) => assert.deepEqual(b, [{ id: 1 }])), attribute: no(noAttr('owner')) } },
  { group: 'search', body: () => ({ operation: 'search_by_conditions', database: 'dev', table: 'dog', get_attributes: ['age'], conditions: [{ attribute: 'id', comparator: 'equals', value: 1 }] }), expect: {
    super: ok((b) => assert.deepEqual(b, [{ age: 7 }])), attribute: no(noAttr('age')) } },
  { group: 'write', body: (_k, n) => ({ operation: 'insert', database: 'dev', table: 'dog', records: [{ id: 100 + n, name: 'Rex' }] }), expect: {
    super: ok(), structure: no(noDog), read_only: no(needs(['insert'])), insert_only: ok(), attribute: ok(), cluster: no(noDog) } },
  { group: 'write', body: (_k, n) => ({ operation: 'insert', database: 'dev', table: 'dog', records: [{ id: 200 + n, name: 'Rex', owner: 'Sam' }] }), expect: {
    super: ok(), insert_only: ok(), attribute: no(noAttr('owner')) } },
  { group: 'write', body: () => ({ operation: 'update', database: 'dev', table: 'dog', records: [{ id: 1, name: 'Penny' }] }), expect: {
    super: ok(), read_only: no(needs(['update'])), insert_only: no(needs(['update'])), attribute: no(needs([], [{ attribute_name: 'name', required_permissions: ['update'] }])) } },
  { group: 'write', body: () => ({ operation: 'insert', database: 'dev', table: 'dog', records: [{ id: 5, __createdtime__: 1 }] }), expect: {
    insert_only: no(needs([], [{ attribute_name: '__createdtime__', required_permissions: ['insert'] }])) } },
  { group: 'write', body: (_k, n) => ({ operation: 'upsert', database: 'dev', table: 'dog', records: [{ id: 300 + n }] }), expect: {
    super: ok(), read_only: no(needs(['insert', 'update'])), insert_only: no(needs(['update'])), attribute: ok() } },
  { group: 'write', body: (_k, n) => ({ operation: 'delete', database: 'dev', table: 'dog', ids: [100 + n] }), expect: {
    super: ok(), read_only: no(needs(['delete'])), insert_only: no(needs(['delete'])), attribute: ok(), cluster: no(noDog) } },
  { group: 'structure', body: (k) => ({ operation: 'create_table', database: 'other', table: `t_${k}`, primary_key: 'id' }), expect: {
    super: ok(), structure: ok(), read_only: no(su('create_table')), cluster: no(su('create_table')) } },
  { group: 'structure', body: (k) => ({ operation: 'create_database', database: `db_${k}` }), expect: {
    super: ok(), structure: ok(), attribute: no(su('create_database')), cluster: no(su('create_database')) } },
  { group: 'bulk load', body: (_k, n) => ({ operation: 'csv_data_load', database: 'dev', table: 'dog', data: `id,name\n${400 + n},Bulk\n` }), expect: {
    super: ok((b) => assert.match(b.job_id, /^[0-9a-f-]{36}$/)), read_only: no(needs(['insert'])), insert_only: ok(), attribute: ok(), cluster: no(noDog) } },
  { group: 'jobs', body: () => ({ operation: 'get_job', id: adminJob }), expect: {
    super: ok((b) => assert.equal(b[0].id, adminJob)), read_only: notYours, cluster: notYours } },
  { group: 'jobs', body: () => ({ operation: 'search_jobs_by_start_date', from_date: '2000-01-01', to_date: '2100-01-01' }), expect: {
    super: ok(), structure: no(su('search_jobs_by_start_date')), read_only: no(su('search_jobs_by_start_date')), cluster: no(su('search_jobs_by_start_date')) } },
  { group: 'cluster ops', body: () => ({ operation: 'cluster_status' }), expect: {
    super: ok((b) => assert.equal(b.is_enabled, true)), structure: no(su('cluster_status')), attribute: no(su('cluster_status')), cluster: no(su('cluster_status')) } },
  { group: 'system ops', body: () => ({ operation: 'system_information', attributes: ['system'] }), expect: {
    super: ok(), structure: no(su('system_information')), read_only: no(su('system_information')), cluster: no(su('system_information')) } },
  { group: 'system ops', body: () => ({ operation: 'add_user', role: 'read_only', username: 'sneaky', password: 'x', active: true }), expect: {
    structure: no(su('add_user')), attribute: no(su('add_user')), cluster: no(su('add_user')) } },
  { group: 'system ops', body: () => ({ operation: 'search_by_value', database: 'system', table: 'hdb_user', attribute: 'username', value: '*' }), expect: {
    super: ok((b) => assert.ok(b.length >= 6)), read_only: no(su('search_by_value')), cluster: no(su('search_by_value')) } },
  { group: 'logs', body: () => ({ operation: 'read_log', limit: 1 }), expect: {
    super: ok(), structure: no(su('read_log')), read_only: no(su('read_log')), cluster: no(su('read_log')) } },
  { group: 'logs', body: () => ({ operation: 'read_audit_log', database: 'dev', table: 'dog' }), expect: {
    super: ok(), read_only: no(su('read_audit_log')), attribute: no(su('read_audit_log')) } },
  { group: 'any user', body: () => ({ operation: 'user_info' }), expect: {
    super: ok((b) => assert.equal(b.username, 'admin')), structure: ok(), read_only: ok(), cluster: ok((b) => assert.equal(b.role.role, 'cluster_user')) } },
];

test('permission matrix: every role kind x operation group -> status and body', async () => {
  let n = 0;
  const failures: string[] = [];
  for (const row of MATRIX) {
    for (const kind of KINDS) {
      const want = kind === 'inactive' ? INACTIVE : row.expect[kind];
      if (!want) continue;
      n++;
      const body = row.body(kind, KINDS.indexOf(kind));
      const got = await clients.get(kind)!(body);
      const where = `${row.group} / ${String(body.operation)} as ${kind}`;
      try {
        assert.equal(got.status, want.status, JSON.stringify(got.body));
        if (want.body !== undefined) assert.deepEqual(got.body, want.body);
        want.check?.(got.body);
      } catch (err) {
        failures.push(`${where}: ${(err as Error).message}`);
      }
    }
  }
  assert.equal(failures.join('\n\n'), '');
  assert.ok(n > 80, `matrix ran ${n} cells`);
});

test('a bulk load refused on an attribute inside its job keeps the 403 report as the job message', async () => {
  const attr = clients.get('attribute')!;
  const started = await attr({ operation: 'csv_data_load', database: 'dev', table: 'dog', data: 'id,name,owner\n900,Rex,Sam\n' });
  assert.equal(started.status, 200);
  let job: any;
  for (const deadline = Date.now() + 10_000; Date.now() < deadline;) {
    job = (await attr({ operation: 'get_job', id: started.body.job_id })).body[0];
    if (job.status === 'ERROR' || job.status === 'COMPLETE') break;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.equal(job.status, 'ERROR');
  assert.equal(job.user, 'attribute');
  assert.deepEqual(job.message, noAttr('owner'));
  assert.equal((await s.op({ operation: 'search_by_id', database: 'dev', table: 'dog', ids: [900] })).body.length, 0);
});
