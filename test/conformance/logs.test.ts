/** read_audit_log, read_transaction_log (3.x and 4.x forms), delete_*_logs_before, read_log. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { error, runCases } from '../helpers/conformance.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { waitFor } from '../helpers/wait-for.js';

let s: TestServer;
let t0: number;
let created: number;
before(async () => {
  s = await startTestServer();
  t0 = Date.now();
  await s.op({ operation: 'create_table', database: 'dev', table: 'dog', primary_key: 'id' });
  created = (await s.op({ operation: 'describe_table', database: 'dev', table: 'dog' })).body.created_time;
  await s.op({ operation: 'insert', database: 'dev', table: 'dog', records: [{ id: 5, name: 'Penny' }, { id: 6, name: 'Kato' }] });
  await s.op({ operation: 'update', database: 'dev', table: 'dog', records: [{ id: 5, name: 'Penelope' }] });
  await s.op({ operation: 'delete', database: 'dev', table: 'dog', ids: [6] });
});
after(async () => { await s.close(); });

const dog = (extra: Record<string, unknown>) => ({ database: 'dev', table: 'dog', ...extra });
const time = (e: { timestamp: number }) => { assert.ok(e.timestamp >= t0 && e.timestamp <= Date.now(), `timestamp ${e.timestamp}`); return { ...e, timestamp: 0 }; };

test('read_audit_log: one entry per write transaction, HarperDB shapes', async (t) => {
  await runCases(t, s.op, [
    { name: 'the whole log', request: { operation: 'read_audit_log', ...dog({}) }, status: 200, check: (b) => assert.deepEqual(b.map(time), [
      { operation: 'insert', user_name: 'admin', timestamp: 0, hash_values: [5, 6], records: [b[0].records[0], b[0].records[1]] },
      { operation: 'update', user_name: 'admin', timestamp: 0, hash_values: [5], records: [b[1].records[0]] },
      { operation: 'delete', user_name: 'admin', timestamp: 0, hash_values: [6] },
    ]) },
    { name: 'records are the full records after the write', request: { operation: 'read_audit_log', ...dog({}) }, status: 200, check: (b) => {
      assert.deepEqual(b[0].records.map((r: { name: string }) => r.name), ['Penny', 'Kato']);
      assert.equal(b[1].records[0].name, 'Penelope');
    } },
    { name: 'hash_value search: an object keyed by the searched values', request: { operation: 'read_audit_log', ...dog({ search_type: 'hash_value', search_values: [5, 404] }) }, status: 200, check: (b) => {
      assert.deepEqual(Object.keys(b), ['5', '404']);
      assert.deepEqual(b['5'].map(time), [
        { operation: 'insert', user_name: 'admin', timestamp: 0, hash_values: [5], records: [b['5'][0].records[0]] },
        { operation: 'update', user_name: 'admin', timestamp: 0, hash_values: [5], records: [b['5'][1].records[0]] },
      ]);
      assert.equal(b['5'][0].records[0].id, 5);
      assert.deepEqual(b['404'], []);
    } },
    { name: 'username search: an object keyed by user', request: { operation: 'read_audit_log', ...dog({ search_type: 'username', search_values: ['admin', 'nobody'] }) }, status: 200, check: (b) => {
      assert.deepEqual(b['admin'].map((e: { operation: string }) => e.operation), ['insert', 'update', 'delete']);
      assert.deepEqual(b['nobody'], []);
    } },
    { name: 'timestamp search: a flat list in the window', request: { operation: 'read_audit_log', ...dog({ search_type: 'timestamp', search_values: [Date.now() + 60_000] }) }, status: 200, body: [] },
    { name: 'timestamp search from the start', request: { operation: 'read_audit_log', ...dog({ search_type: 'timestamp', search_values: [t0] }) }, status: 200, check: (b) => assert.equal(b.length, 3) },
    { name: 'a bad search_type', request: { operation: 'read_audit_log', ...dog({ search_type: 'bogus', search_values: [] }) }, status: 400, body: error("'search_type' must be one of timestamp, username, hash_value") },
    { name: 'search_values not an array', request: { operation: 'read_audit_log', ...dog({ search_type: 'hash_value', search_values: 5 }) }, status: 400, body: error("'search_values' must be an array") },
    { name: 'a missing table', request: { operation: 'read_audit_log', ...dog({ table: 'nope' }) }, status: 404, body: error("Table 'dev.nope' does not exist") },
  ]);
});

test('read_transaction_log: 4.x entries with define_schema, from/to as numbers, numeric strings or dates', async (t) => {
  const schemaEntry = { operation: 'define_schema', user: null, timestamp: created, schema: 'dev', database: 'dev', table: 'dog', hash_attribute: 'id' };
  await runCases(t, s.op, [
    { name: 'the whole log', request: { operation: 'read_transaction_log', ...dog({}) }, status: 200, check: (b) => {
      const { attributes: _a, records: _r, ...head } = b[0];
      assert.deepEqual(head, schemaEntry);
      assert.deepEqual(b.slice(1).map((e: Record<string, unknown>) => [e.operation, e.user, e.hash_values, (e.records as unknown[]).length]), [['insert', 'admin', [5, 6], 2], ['update', 'admin', [5], 1], ['delete', 'admin', [6], 1]]);
      assert.deepEqual(b[3].records, [{ id: 6 }]);
    } },
    { name: 'from as a numeric string, after the table appeared', request: { operation: 'read_transaction_log', ...dog({ from: String(created + 1) }) }, status: 200, check: (b) => assert.deepEqual(b.map((e: { operation: string }) => e.operation), ['insert', 'update', 'delete']) },
    { name: 'to as an ISO date before anything', request: { operation: 'read_transaction_log', ...dog({ to: new Date(created - 1000).toISOString() }) }, status: 200, body: [] },
    { name: 'from as a number with a limit', request: { operation: 'read_transaction_log', ...dog({ from: 0, limit: 2 }) }, status: 200, check: (b) => assert.deepEqual(b.map((e: { operation: string }) => e.operation), ['define_schema', 'insert']) },
    { name: 'a bad from', request: { operation: 'read_transaction_log', ...dog({ from: 'not a date' }) }, status: 400, body: error("'from' must be a date or epoch milliseconds") },
    { name: '3.x hash_value search', request: { operation: 'read_transaction_log', schema: 'dev', table: 'dog', search_type: 'hash_value', search_values: [6] }, status: 200, check: (b) => assert.deepEqual(b.map((e: { operation: string }) => e.operation), ['insert', 'delete']) },
  ]);
});

test('delete_audit_logs_before trims the log but keeps what replication still needs, and says so', async () => {
  const finished = (id: string) => waitFor(async () => {
    const job = (await s.op({ operation: 'get_job', id })).body[0];
    return job.status === 'COMPLETE' || job.status === 'ERROR' ? job : null;
  });
  const entries = [...s.node.services.changelog.readTable('dev', 'dog')];
  // a consumer that still needs the delete (the last entry), like a peer that has not acknowledged it
  s.node.services.logConsumers.set('test-peer', (db, table) => (db === 'dev' && table === 'dog' ? entries.at(-1)!.seq : undefined));
  const r = await s.op({ operation: 'delete_audit_logs_before', ...dog({ timestamp: Date.now() + 1000 }) });
  assert.equal(r.status, 200);
  const job = await finished(r.body.job_id);
  assert.equal(job.status, 'COMPLETE');
  assert.match(job.message, /^deleted 3 change-log entries of 'dev\.dog' before .*; kept 1 older entries that test-peer still needs$/);
  assert.deepEqual((await s.op({ operation: 'read_audit_log', ...dog({}) })).body.map((e: { operation: string }) => e.operation), ['delete']);
  s.node.services.logConsumers.delete('test-peer');
  const r2 = await s.op({ operation: 'delete_transaction_logs_before', schema: 'dev', table: 'dog', timestamp: String(Date.now() + 1000) });
  assert.match((await finished(r2.body.job_id)).message, /^deleted 1 change-log entries/);
  assert.deepEqual((await s.op({ operation: 'read_audit_log', ...dog({}) })).body, []);
  assert.deepEqual((await s.op({ operation: 'delete_audit_logs_before', ...dog({}) })).body, error("'timestamp' is required"));
});
