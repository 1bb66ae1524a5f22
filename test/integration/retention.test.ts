import assert from 'node:assert/strict';
import { test } from 'node:test';
import { replicationOf } from '../../src/replication/index.js';
import { startTestServer } from '../helpers/test-server.js';
import { waitFor } from '../helpers/wait-for.js';

test('without clustering the change log is still bounded by retention; the data stays', async (t) => {
  const s = await startTestServer({ CLUSTERING_RETENTION_MAXAGEMS: '1000' });
  t.after(() => s.close());
  await s.op({ operation: 'create_table', table: 'reading', primary_key: 'id' });
  await s.op({ operation: 'insert', table: 'reading', records: Array.from({ length: 50 }, (_, i) => ({ id: i })) });
  const logged = async () => (await s.op({ operation: 'read_audit_log', table: 'reading' })).body.reduce((n: number, e: { hash_values: unknown[] }) => n + e.hash_values.length, 0);
  assert.equal(await logged(), 50);
  const rep = replicationOf(s.node.services);
  assert.ok(rep, 'the node runs the retention job even with clustering off');
  await waitFor(async () => {
    await rep.runRetention();
    return (await logged()) === 0;
  }, { timeoutMs: 10_000, intervalMs: 200, what: 'entries older than maxAgeMs to be trimmed' });
  assert.equal((await s.op({ operation: 'describe_table', table: 'reading' })).body.record_count, 50);
  // new writes are logged again
  await s.op({ operation: 'update', table: 'reading', records: [{ id: 1, v: 2 }] });
  assert.equal(await logged(), 1);
});
