import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { waitFor } from '../helpers/wait-for.js';
import { checksum, sourceRows, targetRows } from './helpers/compare.js';
import { startPostgres, type TestPostgres } from './helpers/postgres.js';

let pgs: TestPostgres;
before(async () => { pgs = await startPostgres(); });
after(async () => { await pgs?.destroy(); });

async function server(t: { after: (fn: () => Promise<void>) => void }, env: Record<string, string> = {}): Promise<TestServer> {
  const s = await startTestServer({ SINK_RETRY_MINMS: '50', SINK_RETRY_MAXMS: '500', ...env });
  t.after(() => s.close());
  return s;
}

async function status(s: TestServer, name: string) {
  const r = await s.op({ operation: 'sink_status', name });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.sinks[0];
}

test('a sink copies an existing table, then streams inserts, updates and deletes into PostgreSQL', async (t) => {
  const s = await server(t, { NODE_NAME: 'hq-a' });
  await s.op({ operation: 'create_database', database: 'plant' });
  await s.op({ operation: 'create_table', database: 'plant', table: 'reading', primary_key: 'id' });
  const initial = Array.from({ length: 2500 }, (_, i) => ({ id: i, machine: `m${i % 7}`, temp: 20 + (i % 10) / 4, ok: i % 3 === 0 }));
  assert.equal((await s.op({ operation: 'insert', database: 'plant', table: 'reading', records: initial })).status, 200);
  const add = await s.op({ operation: 'add_sink', name: 'wh', url: pgs.url, tables: ['plant.reading'], batch_rows: 1000 });
  assert.equal(add.status, 200, JSON.stringify(add.body));
  assert.equal(add.body.message, `Successfully added sink 'wh'`);
  await waitFor(async () => (await pgs.query('SELECT count(*)::int AS n FROM plant.reading').catch(() => ({ rows: [{ n: 0 }] }))).rows[0].n === 2500, { timeoutMs: 30_000, what: 'the initial copy' }).catch(async (err) => { console.log(JSON.stringify(await status(s, 'wh'))); throw err; });

  await s.op({ operation: 'insert', database: 'plant', table: 'reading', records: [{ id: 5000, machine: 'm9', temp: 99.5, ok: false }] });
  await s.op({ operation: 'update', database: 'plant', table: 'reading', records: [{ id: 1, temp: -4.25 }, { id: 2, machine: 'tab\tand\nnewline \\ "q"' }] });
  await s.op({ operation: 'delete', database: 'plant', table: 'reading', ids: [3, 4] });
  // Schema evolution: a new attribute appears and gets a column.
  await s.op({ operation: 'upsert', database: 'plant', table: 'reading', records: [{ id: 6, machine: 'm6', temp: 1, ok: true, note: { level: 2 } }] });
  const attrs = ['machine', 'temp', 'ok', 'note', '__createdtime__', '__updatedtime__'];
  await waitFor(async () => {
    const [src, dst] = [await sourceRows(s.op, 'plant', 'reading'), await targetRows(pgs, 'plant.reading')];
    return checksum(src, 'id', attrs) === checksum(dst, 'id', attrs);
  }, { timeoutMs: 30_000, what: 'target equal to source' });
  const dst = await targetRows(pgs, 'plant.reading');
  assert.equal(dst.length, 2500 + 1 - 2);
  const one = dst.find((r) => r.id === 6)!;
  assert.deepEqual(one.note, { level: 2 });
  assert.equal(one.__origin__, 'hq-a');
  assert.ok(Number(one.__version__) > 0);
  const cols = await pgs.query(`SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'plant' AND table_name = 'reading'`);
  const types = Object.fromEntries(cols.rows.map((c) => [c.column_name, c.data_type]));
  assert.equal(types.temp, 'double precision');
  assert.equal(types.ok, 'boolean');
  assert.equal(types.note, 'jsonb');
  assert.equal(types.__createdtime__, 'bigint');

  const progress = await pgs.query(`SELECT * FROM ferrydb_sink_progress WHERE sink = 'wh'`);
  assert.equal(progress.rows.length, 1);
  assert.equal(progress.rows[0].source_node, 'hq-a');
  assert.equal(progress.rows[0].copy_state, null);
  const st = await status(s, 'wh');
  assert.equal(st.state, 'streaming');
  assert.equal(st.backlog_rows, 0);
  assert.ok(st.rows_written >= 2504);
  assert.ok(!JSON.stringify(st).includes(pgs.password));
  const list = await s.op({ operation: 'list_sinks' });
  assert.equal(list.body[0].name, 'wh');
  assert.ok(!JSON.stringify(list.body).includes(pgs.password));
  assert.match(list.body[0].url, /\*\*\*\*/);
  const info = await s.op({ operation: 'system_information', attributes: ['sinks'] });
  assert.equal(info.body.sinks[0].name, 'wh');
});
