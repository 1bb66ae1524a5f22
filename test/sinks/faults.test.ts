import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { FaultProxy } from '../../src/demo/fault-proxy.js';
import { replicationOf } from '../../src/replication/index.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { waitFor } from '../helpers/wait-for.js';
import { checksum, sourceRows, targetRows } from './helpers/compare.js';
import { startPostgres, type TestPostgres } from './helpers/postgres.js';

let pgs: TestPostgres;
before(async () => { pgs = await startPostgres(); });
after(async () => { await pgs?.destroy(); });

const ATTRS = ['machine', 'temp', 'seq', '__createdtime__', '__updatedtime__'];

async function server(t: { after: (fn: () => Promise<void>) => void }, env: Record<string, string> = {}, options: { rootPath?: string; keepRoot?: boolean } = {}): Promise<TestServer> {
  const s = await startTestServer({ SINK_RETRY_MINMS: '50', SINK_RETRY_MAXMS: '400', SINK_TIMEOUTMS: '3000', ...env }, options);
  t.after(() => s.close());
  return s;
}

async function sinkStatus(s: TestServer, name: string) {
  return (await s.op({ operation: 'sink_status', name })).body.sinks[0];
}

async function table(s: TestServer, database: string, name: string) {
  await s.op({ operation: 'create_database', database });
  assert.equal((await s.op({ operation: 'create_table', database, table: name, primary_key: 'id' })).status, 200);
}

async function write(s: TestServer, database: string, name: string, from: number, count: number, tag = 'a') {
  const records = Array.from({ length: count }, (_, i) => ({ id: from + i, machine: `${tag}${(from + i) % 13}`, temp: ((from + i) % 97) / 8, seq: from + i }));
  const r = await s.op({ operation: 'upsert', database, table: name, records });
  assert.equal(r.status, 200, JSON.stringify(r.body));
}

async function assertSame(s: TestServer, database: string, name: string, target: string) {
  await waitFor(async () => checksum(await sourceRows(s.op, database, name), 'id', ATTRS) === checksum(await targetRows(pgs, target), 'id', ATTRS),
    { timeoutMs: 60_000, intervalMs: 200, what: `${target} equal to ${database}.${name}` });
  const dup = await pgs.query(`SELECT id, count(*) FROM ${target} GROUP BY id HAVING count(*) > 1`);
  assert.equal(dup.rowCount, 0);
}

/**
 * The position committed in the target is at the table's last log position with nothing after it
 * (retention may already have trimmed what the sink delivered, never more).
 */
async function assertCursorAtHead(s: TestServer, sink: string, database: string, name: string) {
  const log = s.node.services.changelog;
  const last = log.lastSeq(database, name);
  await waitFor(async () => {
    const r = await pgs.query(`SELECT position, copy_state FROM ferrydb_sink_progress WHERE sink = $1 AND source_node = $2 AND db = $3 AND "table" = $4`,
      [sink, s.node.services.node.nodeName, database, name]);
    const position = Number(r.rows[0]?.position);
    return position >= last && log.countAfter(database, name, position) === 0 && r.rows[0]?.copy_state === null;
  }, { timeoutMs: 30_000, what: 'the target cursor at the log head' }).catch(async (err) => {
    const st = (await s.op({ operation: 'sink_status', name: sink })).body;
    throw new Error(`${(err as Error).message}; log head ${last}; sink_status ${JSON.stringify(st)}`);
  });
}

test('PostgreSQL stopped with -m immediate in the middle of a backlog, FerryDB restarted too: the sink stalls, retries and ends equal, without duplicates', async (t) => {
  let s = await server(t, { NODE_NAME: 'hq-crash' }, { keepRoot: true });
  await table(s, 'crash', 'reading');
  for (let i = 0; i < 6; i++) await write(s, 'crash', 'reading', i * 5000, 5000);
  assert.equal((await s.op({ operation: 'add_sink', name: 'crash', url: pgs.url, tables: ['crash.reading'], batch_rows: 2000 })).status, 200);
  await waitFor(async () => (await pgs.query('SELECT count(*)::int AS n FROM crash.reading').catch(() => ({ rows: [{ n: 0 }] }))).rows[0].n > 0, { timeoutMs: 30_000, what: 'the first rows' });
  await pgs.stop('immediate');
  await write(s, 'crash', 'reading', 2000, 3000, 'b'); // updates while the target is down
  await waitFor(async () => (await sinkStatus(s, 'crash')).state === 'stalled', { timeoutMs: 30_000, what: 'stalled' });
  const st = await sinkStatus(s, 'crash');
  assert.ok(st.last_error, 'the target error is shown');
  assert.ok(st.backlog_rows > 0);
  // FerryDB restarts too, while the target is still down: the sink comes back from sinks.json.
  const rootPath = s.rootPath;
  await s.close();
  s = await server(t, { NODE_NAME: 'hq-crash' }, { rootPath });
  await pgs.start();
  await assertSame(s, 'crash', 'reading', 'crash.reading');
  await assertCursorAtHead(s, 'crash', 'crash', 'reading');
  await waitFor(async () => (await sinkStatus(s, 'crash')).state === 'streaming', { timeoutMs: 10_000, what: 'streaming again' });
});

test('a network cut and a silent network between FerryDB and PostgreSQL: the sink resumes from the committed cursor', async (t) => {
  const proxy = await FaultProxy.start({ targetPort: pgs.port });
  t.after(() => proxy.close());
  const url = pgs.url.replace(`:${pgs.port}/`, `:${proxy.port}/`);
  const s = await server(t, { NODE_NAME: 'hq-net' });
  await table(s, 'net', 'reading');
  await write(s, 'net', 'reading', 0, 20_000);
  assert.equal((await s.op({ operation: 'add_sink', name: 'net', url, tables: ['net.reading'], batch_rows: 1000 })).status, 200);
  await waitFor(async () => (await pgs.query('SELECT count(*)::int AS n FROM net.reading').catch(() => ({ rows: [{ n: 0 }] }))).rows[0].n > 0, { timeoutMs: 30_000, what: 'the first rows' });
  proxy.cut();
  await write(s, 'net', 'reading', 20_000, 2000);
  await waitFor(async () => (await sinkStatus(s, 'net')).state === 'stalled', { timeoutMs: 30_000, what: 'stalled after the cut' });
  proxy.restore();
  await assertSame(s, 'net', 'reading', 'net.reading');
  // A silent network (nothing forwarded, nothing refused) is detected by the statement timeout.
  proxy.blackhole(true);
  await write(s, 'net', 'reading', 0, 500, 'c');
  await waitFor(async () => (await sinkStatus(s, 'net')).state === 'stalled', { timeoutMs: 30_000, what: 'stalled on a silent network' });
  proxy.blackhole(false);
  proxy.disconnectAll();
  await assertSame(s, 'net', 'reading', 'net.reading');
  await assertCursorAtHead(s, 'net', 'net', 'reading');
});

/** The last version of key 1000000 on each node; the greatest (version, origin) must be the target's row. */
function winner(nodes: TestServer[]) {
  const versions = nodes.map((s) => {
    // From the stored record (its version), not the change log: retention may have trimmed the log once delivered.
    const { records } = s.node.services;
    const [hlc, origin, record] = records.handle(records.catalog.getTable('fleet', 'reading')).record(1_000_000)!;
    return { machine: record.machine as string, __origin__: origin, __version__: String(hlc) };
  });
  versions.sort((x, y) => (BigInt(x.__version__) < BigInt(y.__version__) ? -1 : BigInt(x.__version__) > BigInt(y.__version__) ? 1 : x.__origin__ < y.__origin__ ? -1 : 1));
  return versions[versions.length - 1];
}

test('two HQ nodes feed one target: rows of both arrive, a key written on both keeps the greater version', async (t) => {
  const a = await server(t, { NODE_NAME: 'hq-1' });
  const b = await server(t, { NODE_NAME: 'hq-2' });
  for (const s of [a, b]) await table(s, 'fleet', 'reading');
  await write(a, 'fleet', 'reading', 0, 3000, 'a');
  await write(b, 'fleet', 'reading', 3000, 3000, 'b');
  await a.op({ operation: 'upsert', database: 'fleet', table: 'reading', records: [{ id: 1_000_000, machine: 'older' }] });
  await b.op({ operation: 'upsert', database: 'fleet', table: 'reading', records: [{ id: 1_000_000, machine: 'newer' }] });
  for (const s of [a, b]) assert.equal((await s.op({ operation: 'add_sink', name: 'wh', url: pgs.url, tables: [{ database: 'fleet', table: 'reading', target: 'warehouse.readings' }], batch_rows: 500 })).status, 200);
  // Both keep writing while both deliver.
  await Promise.all([write(a, 'fleet', 'reading', 6000, 2000, 'a'), write(b, 'fleet', 'reading', 8000, 2000, 'b')]);
  await waitFor(async () => (await pgs.query('SELECT count(*)::int AS n FROM warehouse.readings').catch(() => ({ rows: [{ n: 0 }] }))).rows[0].n === 10_001, { timeoutMs: 60_000, what: 'rows of both nodes' })
    .catch(async (err) => { console.log(JSON.stringify([await sinkStatus(a, 'wh'), await sinkStatus(b, 'wh')])); throw err; });
  // Both nodes have delivered everything (each cursor at its own log head): the greater version is the one kept.
  for (const s of [a, b]) await assertCursorAtHead(s, 'wh', 'fleet', 'reading');
  const shared = (await pgs.query(`SELECT machine, __origin__, __version__ FROM warehouse.readings WHERE id = 1000000`)).rows[0];
  assert.deepEqual(shared, winner([a, b]));
  const origins = (await pgs.query('SELECT __origin__, count(*)::int AS n FROM warehouse.readings GROUP BY 1 ORDER BY 1')).rows;
  assert.deepEqual(origins, [{ __origin__: 'hq-1', n: 5000 }, { __origin__: 'hq-2', n: 5001 }]);
  const cursors = (await pgs.query(`SELECT source_node FROM ferrydb_sink_progress WHERE sink = 'wh' ORDER BY 1`)).rows.map((r) => r.source_node);
  assert.deepEqual(cursors, ['hq-1', 'hq-2']);
  // Another write of the key on the first node: again the greater version is the one kept.
  await a.op({ operation: 'upsert', database: 'fleet', table: 'reading', records: [{ id: 1_000_000, machine: 'newest' }] });
  for (const s of [a, b]) await assertCursorAtHead(s, 'wh', 'fleet', 'reading');
  assert.deepEqual((await pgs.query(`SELECT machine, __origin__, __version__ FROM warehouse.readings WHERE id = 1000000`)).rows[0], winner([a, b]));
});

test('the change log is held for a sink whose target is down; a forced trim past it is reported and the table re-copied', async (t) => {
  const s = await server(t, { NODE_NAME: 'hq-trim', CLUSTERING_RETENTION_MAXENTRIES: '1000' });
  await table(s, 'trim', 'reading');
  await write(s, 'trim', 'reading', 0, 800);
  assert.equal((await s.op({ operation: 'add_sink', name: 'trim', url: pgs.url, tables: ['trim.reading'] })).status, 200);
  await assertSame(s, 'trim', 'reading', 'trim.reading');
  await assertCursorAtHead(s, 'trim', 'trim', 'reading');
  await s.op({ operation: 'delete', database: 'trim', table: 'reading', ids: [1, 2, 3] });
  await assertCursorAtHead(s, 'trim', 'trim', 'reading');
  // What the sink delivered, from the target (retention may have trimmed the log through it already).
  const held = Number((await pgs.query(`SELECT position FROM ferrydb_sink_progress WHERE sink = 'trim'`)).rows[0].position);
  const rep = replicationOf(s.node.services)!;
  // Within limits: retention trims only what the sink delivered.
  await pgs.stop('fast');
  await write(s, 'trim', 'reading', 800, 150);
  await rep.runRetention();
  assert.ok(s.node.services.changelog.firstSeq('trim', 'reading') > held, 'delivered entries are trimmed');
  assert.equal(s.node.services.changelog.countAfter('trim', 'reading', held), 150, 'undelivered entries are kept');
  // Past the count limit: the log is trimmed past the sink's cursor anyway (a delete included).
  await s.op({ operation: 'delete', database: 'trim', table: 'reading', ids: [10, 11] });
  await write(s, 'trim', 'reading', 950, 1500);
  await write(s, 'trim', 'reading', 500, 500, 'u');
  await rep.runRetention();
  assert.ok(s.node.services.changelog.trimmedThrough('trim', 'reading') > held);
  await pgs.start();
  await assertSame(s, 'trim', 'reading', 'trim.reading');
  const st = await sinkStatus(s, 'trim');
  assert.equal(st.tables[0].resyncs, 1);
  const gone = await pgs.query('SELECT count(*)::int AS n FROM trim.reading WHERE id IN (1, 2, 3, 10, 11)');
  assert.equal(gone.rows[0].n, 0, 'deletes, delivered or trimmed before delivery, stay deleted');
});
