import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { opsClient } from '../helpers/http-client.js';
import { startNode } from '../helpers/node-process.js';
import { waitFor } from '../helpers/wait-for.js';
import { checksum, sourceRows, targetRows } from './helpers/compare.js';
import { startPostgres, type TestPostgres } from './helpers/postgres.js';

let pgs: TestPostgres;
before(async () => { pgs = await startPostgres(); });
after(async () => { await pgs?.destroy(); });

const ENV = { SINK_RETRY_MINMS: '50', SINK_RETRY_MAXMS: '500' };
const ATTRS = ['machine', 'temp', '__createdtime__', '__updatedtime__'];
const count = async (table: string) => Number((await pgs.query(`SELECT count(*)::int AS n FROM ${table}`).catch(() => ({ rows: [{ n: 0 }] }))).rows[0].n);

test('kill -9 of FerryDB in the middle of a backlog: after the restart the target equals the source, no row twice', async (t) => {
  let node = await startNode({ nodeName: 'hq-kill', env: ENV, cleanup: false });
  const rootPath = node.rootPath;
  t.after(async () => { await node.stop().catch(() => undefined); });
  let op = opsClient(node.url, node.user, node.password);
  await op({ operation: 'create_database', database: 'k' });
  await op({ operation: 'create_table', database: 'k', table: 'reading', primary_key: 'id' });
  for (let b = 0; b < 16; b++) {
    const records = Array.from({ length: 5000 }, (_, i) => ({ id: b * 5000 + i, machine: `m${i % 11}`, temp: (i % 50) / 4 }));
    assert.equal((await op({ operation: 'insert', database: 'k', table: 'reading', records })).status, 200);
  }
  assert.equal((await op({ operation: 'add_sink', name: 'kill', url: pgs.url, tables: ['k.reading'], batch_rows: 2000 })).status, 200);
  await waitFor(async () => (await count('k.reading')) > 0, { timeoutMs: 30_000, what: 'the first delivered rows' });
  await node.kill();
  const delivered = await count('k.reading');
  assert.ok(delivered < 80_000, `killed before the end (${delivered} rows delivered)`);
  node = await startNode({ nodeName: 'hq-kill', env: ENV, rootPath, cleanup: true });
  op = opsClient(node.url, node.user, node.password);
  await op({ operation: 'update', database: 'k', table: 'reading', records: [{ id: 7, temp: 1000 }] });
  await waitFor(async () => checksum(await sourceRows(op, 'k', 'reading'), 'id', ATTRS) === checksum(await targetRows(pgs, 'k.reading'), 'id', ATTRS),
    { timeoutMs: 90_000, intervalMs: 250, what: 'the target equal to the source after the restart' });
  assert.equal(await count('k.reading'), 80_000);
  const st = (await op({ operation: 'sink_status', name: 'kill' })).body.sinks[0];
  assert.equal(st.source, 'operation', 'the sink added by add_sink survived the restart');
});

function logText(rootPath: string): string {
  const dir = join(rootPath, 'log');
  return readdirSync(dir).filter((f) => statSync(join(dir, f)).isFile()).map((f) => readFileSync(join(dir, f), 'utf8')).join('\n');
}

test('bad target credentials: the sink is unauthorized, says why, and the password is in no response and no log', async (t) => {
  const node = await startNode({ nodeName: 'hq-auth', env: ENV });
  t.after(() => node.stop());
  const op = opsClient(node.url, node.user, node.password);
  await op({ operation: 'create_database', database: 'a' });
  await op({ operation: 'create_table', database: 'a', table: 't', primary_key: 'id' });
  await op({ operation: 'insert', database: 'a', table: 't', records: [{ id: 1 }] });
  const wrong = 'Wr0ng-Secret-4711';
  const url = `postgres://ferry:${wrong}@127.0.0.1:${pgs.port}/postgres`;
  assert.equal((await op({ operation: 'add_sink', name: 'bad', url, tables: ['a.t'] })).status, 200);
  const st = await waitFor(async () => {
    const s = (await op({ operation: 'sink_status', name: 'bad' })).body.sinks[0];
    return s.state === 'unauthorized' ? s : null;
  }, { timeoutMs: 60_000, what: 'the unauthorized state' });
  assert.match(st.last_error, /password authentication failed/);
  const seen = [JSON.stringify(st), JSON.stringify((await op({ operation: 'list_sinks' })).body), JSON.stringify((await op({ operation: 'system_information' })).body),
    JSON.stringify((await op({ operation: 'get_configuration' })).body)];
  for (const text of seen) assert.ok(!text.includes(wrong), `password leaked in ${text.slice(0, 200)}`);
  // Fixed by update_sink, without restarting the node.
  assert.equal((await op({ operation: 'update_sink', name: 'bad', url: pgs.url })).status, 200);
  await waitFor(async () => (await count('a.t')) === 1, { timeoutMs: 60_000, what: 'delivery with the right password' });
  // Bad bodies get HarperDB-style 400/404 errors.
  const bad = await op({ operation: 'add_sink', name: 'x', url: 'http://nope', tables: ['a.t'] });
  assert.equal(bad.status, 400);
  assert.match(bad.body.error, /postgres:\/\//);
  assert.equal((await op({ operation: 'add_sink', name: 'bad', url: pgs.url, tables: ['a.t'] })).status, 400);
  assert.equal((await op({ operation: 'remove_sink', name: 'nope' })).status, 404);
  assert.equal((await op({ operation: 'remove_sink', name: 'bad' })).status, 200);
  assert.deepEqual((await op({ operation: 'list_sinks' })).body, []);
  // Added back, it resumes from the cursor the target kept: only the new row is written.
  await op({ operation: 'insert', database: 'a', table: 't', records: [{ id: 2 }] });
  assert.equal((await op({ operation: 'add_sink', name: 'bad', url: pgs.url, tables: ['a.t'] })).status, 200);
  // The sink counts a batch once its transaction has committed, so the target can show the row a moment before
  // sink_status does: wait for the status, then check both.
  const again = await waitFor(async () => {
    const s = (await op({ operation: 'sink_status', name: 'bad' })).body.sinks[0];
    return s.rows_written > 0 ? s : null;
  }, { timeoutMs: 60_000, what: 'the row written while removed' });
  assert.equal(await count('a.t'), 2);
  assert.equal(again.rows_written, 1);
  assert.equal(again.tables[0].copies, 0);
  // Nothing above (failures, refusals of bad bodies included) put a password in the output or the log file.
  assert.match(node.output(), /sink target failed/);
  for (const secret of [wrong, pgs.password]) {
    assert.ok(!node.output().includes(secret), 'not on standard output');
    assert.ok(!logText(node.rootPath).includes(secret), 'not in the log file');
  }
});
