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
  // sink_status counts a batch after its commit, a moment after the target shows it: poll it.
  const st = await waitFor(async () => { const x = await status(s, 'wh'); return x.backlog_rows === 0 && x.rows_written >= 2504 ? x : null; },
    { timeoutMs: 30_000, what: 'sink_status caught up' });
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
  const st = await waitFor(async () => { const x = await status(s, 'empt'); return x.backlog_rows === 0 ? x : null; }, { timeoutMs: 30_000, what: 'sink_status caught up' });
  assert.deepEqual(st.tables.map((x: { copies: number; resyncs: number }) => [x.copies, x.resyncs]), [[1, 0], [1, 0]]);
  assert.equal(st.state, 'streaming');
});

test('binary COPY (every column type has a binary form) and text COPY (a numeric column) deliver the same values, by COPY and by upsert', async () => {
  const target = new PostgresTarget({ url: pgs.url, timeoutMs: 10_000 });
  await target.open();
  try {
    await pgs.query('CREATE SCHEMA IF NOT EXISTS fmt');
    const cols = 'id double precision PRIMARY KEY, f double precision, r real, i integer, s smallint, b bigint, ok boolean, t text, vc varchar(20), doc jsonb, __version__ bigint NOT NULL, __origin__ text NOT NULL';
    await pgs.query(`CREATE TABLE fmt.bin (${cols}, n double precision)`);
    await pgs.query(`CREATE TABLE fmt.txt (${cols}, n numeric)`);
    const attributes = ['id', 'f', 'r', 'i', 's', 'b', 'ok', 't', 'vc', 'doc', 'n'];
    const rec = (id: number, gen: number) => ({ id, f: id / 3 + gen, r: 0.5 + gen, i: -id, s: id % 100, b: 2 ** 40 + id, ok: id % 2 === 0, t: `tab\there\nnewline \\ é ${gen}`, vc: `v${id}`, doc: { a: [id, gen], s: 'x"y' }, n: id + 0.25 });
    const rows = (gen: number, version: number): SinkRow[] => Array.from({ length: 50 }, (_, i) => ({ key: i, version, origin: 'n1', record: i === 7 ? { id: i } : rec(i, gen) }));
    const out: Record<string, string[]> = {};
    for (const name of ['bin', 'txt']) {
      const table = { database: 'fmt', table: name, schema: 'fmt', name, keyAttribute: 'id', columns: {}, createTables: false };
      const first = await target.write({ sink: 'fmt', sourceNode: 'n1', table, rows: rows(0, 100), attributes, likelyNew: true, expected: null, next: { position: 1, copy: null } });
      assert.deepEqual([first.path, first.format], ['copy', name === 'bin' ? 'binary' : 'text']);
      const second = await target.write({ sink: 'fmt', sourceNode: 'n1', table, rows: rows(1, 200).slice(0, 30), attributes, likelyNew: false, expected: { position: 1, copy: null }, next: { position: 2, copy: null } });
      assert.deepEqual([second.path, second.format], ['upsert', name === 'bin' ? 'binary' : 'text']);
      out[name] = (await pgs.query(`SELECT id, f, r, i, s, b::text, ok, t, vc, doc, n::float8 AS n, __version__::text AS v FROM fmt.${name} ORDER BY id`)).rows.map((x) => JSON.stringify(x));
    }
    assert.equal(out.bin!.length, 50);
    assert.deepEqual(out.bin, out.txt);
    const one = JSON.parse(out.bin![3]!);
    assert.deepEqual(one, { id: 3, f: 1 + 1, r: 1.5, i: -3, s: 3, b: String(2 ** 40 + 3), ok: false, t: 'tab\there\nnewline \\ é 1', vc: 'v3', doc: { a: [3, 1], s: 'x"y' }, n: 3.25, v: '200' });
    assert.deepEqual(JSON.parse(out.bin![7]!).f, null);
  } finally {
    await target.close();
  }
});

test('a batch encoded ahead of its write is used only while the target columns are unchanged', async () => {
  const target = new PostgresTarget({ url: pgs.url, timeoutMs: 10_000 });
  await target.open();
  try {
    const table = { database: 'ahead', table: 't', schema: 'ahead', name: 't', keyAttribute: 'id', columns: {}, createTables: true };
    const w = (rows: SinkRow[], pos: number, likelyNew: boolean, prepared?: unknown) => target.write({ sink: 'ahead', sourceNode: 'n1', table, rows, attributes: ['id', 'v'], likelyNew, expected: pos ? { position: pos, copy: null } : null, next: { position: pos + 1, copy: null }, prepared });
    await w([{ key: 1, version: 100, origin: 'n1', record: { id: 1, v: 'a' } }], 0, true);
    const later: SinkRow[] = [{ key: 1, version: 300, origin: 'n1', record: { id: 1, v: 'b', extra: null } }];
    const early = target.prepare({ table, rows: later, attributes: ['id', 'v'], likelyNew: false });
    assert.ok(early, 'known columns cover the batch: it can be encoded ahead');
    assert.equal(target.prepare({ table, rows: [{ key: 2, version: 1, origin: 'n1', record: { id: 2, other: 5 } }], attributes: ['id'], likelyNew: true }), null, 'a new column needs the target');
    // Meanwhile a write adds the column 'extra': the early encoding (without it) is stale.
    await w([{ key: 1, version: 200, origin: 'n1', record: { id: 1, v: 'a2', extra: 'set' } }], 1, false);
    await w(later, 2, false, early);
    assert.deepEqual((await pgs.query('SELECT id, v, extra FROM ahead.t')).rows, [{ id: 1, v: 'b', extra: null }]);
    // A still-valid encoding is used as it is (same result as encoding at write time).
    const fresh: SinkRow[] = [{ key: 2, version: 400, origin: 'n1', record: { id: 2, v: 'c', extra: 'e' } }];
    const ready = target.prepare({ table, rows: fresh, attributes: ['id', 'v', 'extra'], likelyNew: true });
    assert.ok(ready);
    const res = await w(fresh, 3, true, ready);
    assert.equal(res.path, 'copy');
    assert.deepEqual((await pgs.query('SELECT id, v, extra FROM ahead.t ORDER BY id')).rows, [{ id: 1, v: 'b', extra: null }, { id: 2, v: 'c', extra: 'e' }]);
  } finally {
    await target.close();
  }
});

test('a connection lost between the direct COPY and its commit leaves nothing behind; the retried batch lands exactly once', async () => {
  const target = new PostgresTarget({ url: pgs.url, timeoutMs: 20_000 });
  await target.open();
  try {
    await pgs.query('CREATE SCHEMA IF NOT EXISTS crash');
    await pgs.query('CREATE TABLE crash.t (id double precision PRIMARY KEY, v text, __version__ bigint NOT NULL, __origin__ text NOT NULL)');
    // A deferred trigger holds the commit (it runs at COMMIT, after the COPY), so the connection can be cut right there.
    await pgs.query(`CREATE FUNCTION crash.hold() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(15); RETURN NULL; END $$`);
    await pgs.query('CREATE CONSTRAINT TRIGGER hold AFTER INSERT ON crash.t DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.id = 0) EXECUTE FUNCTION crash.hold()');
    const table = { database: 'crash', table: 't', schema: 'crash', name: 't', keyAttribute: 'id', columns: {}, createTables: true };
    const rows: SinkRow[] = Array.from({ length: 2000 }, (_, i) => ({ key: i, version: 100 + i, origin: 'n1', record: { id: i, v: `r${i}` } }));
    const req = { sink: 'crash', sourceNode: 'n1', table, rows, attributes: ['id', 'v'], likelyNew: true, expected: null, next: { position: 2000, copy: null } };
    let hookRan = false;
    const pending = target.write({ ...req, whileWaiting: () => { hookRan = true; } });
    const failed = pending.then(() => null, (err: TargetError) => err);
    await waitFor(async () => (await pgs.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'ferrydb-sink' AND wait_event = 'PgSleep'`)).rows[0].n === 1, { timeoutMs: 20_000, what: 'the commit held by the trigger' });
    await pgs.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'ferrydb-sink' AND wait_event = 'PgSleep'`);
    const err = await failed;
    assert.ok(err, 'the write fails');
    assert.equal(err.kind, 'unavailable');
    assert.ok(hookRan, 'the next batch was prepared while the COPY was in flight');
    assert.equal((await pgs.query('SELECT count(*)::int AS n FROM crash.t')).rows[0].n, 0);
    assert.equal((await pgs.query(`SELECT count(*)::int AS n FROM ferrydb_sink_progress WHERE sink = 'crash'`)).rows[0].n, 0);
    await pgs.query('DROP TRIGGER hold ON crash.t');
    await target.open();
    assert.equal(await target.readProgress('crash', 'n1', table), null);
    const res = await target.write(req);
    assert.equal(res.path, 'copy');
    assert.deepEqual((await pgs.query('SELECT count(*)::int AS n, count(DISTINCT id)::int AS d, min(id) AS lo, max(id) AS hi FROM crash.t')).rows[0], { n: 2000, d: 2000, lo: 0, hi: 1999 });
    assert.deepEqual(await target.readProgress('crash', 'n1', table), { position: 2000, copy: null });
    // The same batch once more (an outcome believed lost) is refused by the cursor, not applied twice.
    await assert.rejects(target.write(req), (e: TargetError) => e.kind === 'conflict');
    assert.equal((await pgs.query('SELECT count(*)::int AS n FROM crash.t')).rows[0].n, 2000);
  } finally {
    await target.close();
  }
});
