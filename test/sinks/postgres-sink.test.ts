import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { PostgresTarget } from '../../src/sinks/postgres/postgres-target.js';
import type { SinkRow, TargetError } from '../../src/sinks/target.js';
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
  // /metrics shows the same figures as sink_status.
  const res = await fetch(`http://127.0.0.1:${s.ports.http!.port}/metrics`, { headers: { authorization: `Basic ${Buffer.from('admin:secret-pw').toString('base64')}` } });
  const text = await res.text();
  assert.match(text, /^ferrydb_sink_state\{sink="wh",state="streaming"\} 1$/m);
  assert.equal(Number(/^ferrydb_sink_rows_written\{sink="wh"\} (\d+)$/m.exec(text)?.[1]), (await status(s, 'wh')).rows_written);
  assert.match(text, /^ferrydb_sink_backlog_rows\{sink="wh"\} 0$/m);
});

test('the target applies last writer wins by version: older replays, late updates and revivals after a delete change nothing', async () => {
  const target = new PostgresTarget({ url: pgs.url, timeoutMs: 10_000 });
  await target.open();
  try {
    const table = { database: 'lww', table: 't', schema: 'lww', name: 't', keyAttribute: 'id', columns: {}, createTables: true };
    let pos = 0;
    const write = async (rows: SinkRow[], likelyNew = false) => {
      const expected = pos ? { position: pos, copy: null } : null;
      const res = await target.write({ sink: 'lww', sourceNode: 'n1', table, rows, attributes: ['id', 'v'], likelyNew, expected, next: { position: pos + 1, copy: null } });
      pos++;
      return res;
    };
    const row = (id: number, version: number, v: string | null, origin = 'n1'): SinkRow => ({ key: id, version, origin, record: v === null ? null : { id, v } });
    assert.equal((await write([row(1, 100, 'a'), row(2, 100, 'b'), row(3, 100, 'c')], true)).path, 'copy');
    // Insert-looking rows that already exist: the bulk path falls back to the version rule.
    assert.equal((await write([row(1, 50, 'old'), row(4, 100, 'd')], true)).path, 'upsert');
    await write([row(2, 200, 'b2'), row(3, 300, null)]);
    await write([row(2, 150, 'older'), row(3, 250, 'revived?'), row(1, 100, 'same version', 'n0')]);
    const rows = (await pgs.query('SELECT id, v, __version__::int AS ver FROM lww.t ORDER BY id')).rows;
    assert.deepEqual(rows, [{ id: 1, v: 'a', ver: 100 }, { id: 2, v: 'b2', ver: 200 }, { id: 4, v: 'd', ver: 100 }]);
    // A newer write after the delete does bring the key back; the origin breaks a version tie.
    await write([row(3, 400, 'back'), row(1, 100, 'tie won by origin', 'n2')]);
    const after = (await pgs.query('SELECT id, v FROM lww.t WHERE id IN (1, 3) ORDER BY id')).rows;
    assert.deepEqual(after, [{ id: 1, v: 'tie won by origin' }, { id: 3, v: 'back' }]);
    // A column the warehouse added itself (no FerryDB attribute) is left alone: defaults fire, updates keep it.
    await pgs.query(`ALTER TABLE lww.t ADD COLUMN note text DEFAULT 'warehouse'`);
    await write([row(2, 500, 'b3')]);
    await write([row(5, 500, 'e')], true);
    assert.deepEqual((await pgs.query('SELECT id, v, note FROM lww.t WHERE id IN (2, 5) ORDER BY id')).rows, [{ id: 2, v: 'b3', note: 'warehouse' }, { id: 5, v: 'e', note: 'warehouse' }]);
    // A write that expects another cursor is refused whole.
    await assert.rejects(target.write({ sink: 'lww', sourceNode: 'n1', table, rows: [row(9, 1, 'x')], attributes: ['id', 'v'], likelyNew: true, expected: { position: 1, copy: null }, next: { position: 99, copy: null } }),
      (err: TargetError) => err.kind === 'conflict');
    assert.equal((await pgs.query('SELECT count(*)::int AS n FROM lww.t WHERE id = 9')).rows[0].n, 0);
  } finally {
    await target.close();
  }
});

test('the worked queries of docs/scale-out.md run on delivered sensor rows', async (t) => {
  const s = await server(t, { NODE_NAME: 'hq-docs' });
  await s.op({ operation: 'create_database', database: 'default' });
  await s.op({ operation: 'create_table', database: 'default', table: 'sensor_data', primary_key: 'id' });
  const records = Array.from({ length: 300 }, (_, i) => ({ id: i, machine_id: `m${i % 5}`, temperature: 20 + (i % 9), pressure: 1 + (i % 4) / 10, ts: Date.now() }));
  await s.op({ operation: 'insert', database: 'default', table: 'sensor_data', records });
  assert.equal((await s.op({ operation: 'add_sink', name: 'docs', url: pgs.url, tables: ['default.sensor_data'] })).status, 200);
  await waitFor(async () => (await pgs.query('SELECT count(*)::int AS n FROM "default".sensor_data').catch(() => ({ rows: [{ n: 0 }] }))).rows[0].n === 300, { timeoutMs: 30_000, what: 'delivery' });
  const doc = readFileSync(new URL('../../../docs/scale-out.md', import.meta.url), 'utf8');
  const queries = [...doc.matchAll(/```sql\n([\s\S]*?)```/g)].map((m) => m[1]!);
  assert.equal(queries.length, 2);
  const perMinute = await pgs.query(queries[0]!);
  assert.ok(perMinute.rows.length >= 5);
  assert.equal(perMinute.rows.reduce((n, r) => n + Number(r.readings), 0) >= 20, true);
  assert.equal(perMinute.rows[0].written_on, 'hq-docs');
  const cursors = await pgs.query(queries[1]!);
  assert.ok(cursors.rows.some((r) => r.sink === 'docs' && r.source_node === 'hq-docs'));
});

test('a sink from the configuration is delivered but cannot be changed by operations', async (t) => {
  const sinks = JSON.stringify([{ name: 'cfg', url: pgs.url, tables: ['cfgdb.t'], create_tables: true }]);
  const s = await server(t, { NODE_NAME: 'hq-cfg', SINKS: sinks });
  await s.op({ operation: 'create_database', database: 'cfgdb' });
  await s.op({ operation: 'create_table', database: 'cfgdb', table: 't', primary_key: 'id' });
  await s.op({ operation: 'insert', database: 'cfgdb', table: 't', records: [{ id: 'k1', v: 1 }] });
  await waitFor(async () => (await pgs.query('SELECT v FROM cfgdb.t WHERE id = $1', ['k1']).catch(() => ({ rows: [] }))).rows[0]?.v === 1, { timeoutMs: 30_000, what: 'delivery' });
  const list = await s.op({ operation: 'list_sinks' });
  assert.equal(list.body[0].source, 'config');
  const upd = await s.op({ operation: 'update_sink', name: 'cfg', batch_rows: 10 });
  assert.equal(upd.status, 400);
  assert.match(upd.body.error, /configuration file/);
  assert.equal((await s.op({ operation: 'remove_sink', name: 'cfg' })).status, 400);
});

test('a table whose change log was trimmed entirely (or dropped and recreated) is copied once, then streamed', async (t) => {
  const s = await server(t, { NODE_NAME: 'hq-empty' });
  await s.op({ operation: 'create_database', database: 'empt' });
  await s.op({ operation: 'create_table', database: 'empt', table: 'old', primary_key: 'id' });
  await s.op({ operation: 'insert', database: 'empt', table: 'old', records: [{ id: 1 }, { id: 2 }] });
  await s.op({ operation: 'drop_table', database: 'empt', table: 'old' });
  await s.op({ operation: 'create_table', database: 'empt', table: 'old', primary_key: 'id' });
  await s.op({ operation: 'create_table', database: 'empt', table: 'trimmed', primary_key: 'id' });
  await s.op({ operation: 'insert', database: 'empt', table: 'trimmed', records: [{ id: 1, v: 'a' }, { id: 2, v: 'b' }] });
  const { changelog, records } = s.node.services;
  await records.engine.transaction(() => changelog.trimThrough('empt', 'trimmed', changelog.lastSeq('empt', 'trimmed')));
  assert.equal(changelog.lastSeq('empt', 'trimmed'), 0);
  assert.equal((await s.op({ operation: 'add_sink', name: 'empt', url: pgs.url, tables: ['empt.old', 'empt.trimmed'] })).status, 200);
  await waitFor(async () => (await pgs.query('SELECT count(*)::int AS n FROM empt.trimmed').catch(() => ({ rows: [{ n: 0 }] }))).rows[0].n === 2, { timeoutMs: 30_000, what: 'the copy' });
  await s.op({ operation: 'insert', database: 'empt', table: 'old', records: [{ id: 9 }] });
  await s.op({ operation: 'insert', database: 'empt', table: 'trimmed', records: [{ id: 3, v: 'c' }] });
  await waitFor(async () => (await pgs.query('SELECT count(*)::int AS n FROM empt.trimmed').catch(() => ({ rows: [{ n: 0 }] }))).rows[0].n === 3
    && (await pgs.query('SELECT count(*)::int AS n FROM empt.old').catch(() => ({ rows: [{ n: 0 }] }))).rows[0].n === 1, { timeoutMs: 30_000, what: 'streaming after the copy' });
  const st = await status(s, 'empt');
  assert.deepEqual(st.tables.map((x: { copies: number; resyncs: number }) => [x.copies, x.resyncs]), [[1, 0], [1, 0]]);
  assert.equal(st.state, 'streaming');
});
