import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { opsClient } from '../helpers/http-client.js';
import { MAIN_JS, startNode } from '../helpers/node-process.js';

test('acknowledged writes survive kill -9, and a restart keeps everything', async (t) => {
  const first = await startNode({ cleanup: false });
  t.after(() => rmSync(first.rootPath, { recursive: true, force: true }));
  const op = opsClient(first.url, first.user, first.password);
  await op({ operation: 'create_table', database: 'dev', table: 'reading', primary_key: 'id' });
  // many concurrent small writes plus a bulk one, all acknowledged before the kill
  const acks = await Promise.all(Array.from({ length: 200 }, (_, i) => op({ operation: 'insert', database: 'dev', table: 'reading', records: [{ id: i, v: i * 2 }] })));
  assert.ok(acks.every((a) => a.status === 200));
  const bulk = await op({ operation: 'insert', database: 'dev', table: 'reading', records: Array.from({ length: 5000 }, (_, i) => ({ id: 1000 + i, v: i })) });
  assert.equal(bulk.body.inserted_hashes.length, 5000);
  const upd = await op({ operation: 'update', database: 'dev', table: 'reading', records: [{ id: 7, v: 'changed' }] });
  assert.equal(upd.status, 200);
  await op({ operation: 'delete', database: 'dev', table: 'reading', ids: [8] });
  await first.kill();

  const second = await startNode({ rootPath: first.rootPath, cleanup: false });
  const op2 = opsClient(second.url, second.user, second.password);
  const d = await op2({ operation: 'describe_table', database: 'dev', table: 'reading' });
  assert.equal(d.body.record_count, 5199);
  const rows = (await op2({ operation: 'search_by_id', database: 'dev', table: 'reading', ids: [7, 8, 199, 5999], get_attributes: ['id', 'v'] })).body;
  assert.deepEqual(rows, [{ id: 7, v: 'changed' }, { id: 199, v: 398 }, { id: 5999, v: 4999 }]);
  // the change log survived too and keeps counting from where it was
  t.after(() => second.stop());
  const log = (await op2({ operation: 'read_audit_log', database: 'dev', table: 'reading', search_type: 'hash_value', search_values: [7] })).body;
  assert.deepEqual(log['7'].map((e: { operation: string }) => e.operation), ['insert', 'update']);
  // one audit entry per acknowledged write transaction: 200 single inserts, the bulk one (5,000 records, the most
  // one transaction takes), the update, the delete
  const before = (await op2({ operation: 'read_audit_log', database: 'dev', table: 'reading' })).body;
  assert.equal(before.length, 203);
  await op2({ operation: 'insert', database: 'dev', table: 'reading', records: [{ id: 'after-restart' }] });
  // the log keeps counting from where it was: the new entry comes after every older one
  const after = (await op2({ operation: 'read_audit_log', database: 'dev', table: 'reading' })).body;
  assert.equal(after.length, 204);
  assert.deepEqual(after.at(-1).hash_values, ['after-restart']);
});

test('SIGTERM shuts down gracefully and the data is there on the next start', async (t) => {
  const n = await startNode({ cleanup: false });
  t.after(() => rmSync(n.rootPath, { recursive: true, force: true }));
  const op = opsClient(n.url, n.user, n.password);
  await op({ operation: 'create_table', table: 't', primary_key: 'id' });
  await op({ operation: 'insert', table: 't', records: [{ id: 1 }] });
  await n.stop();
  assert.match(n.output(), /shutting down/);
  assert.match(n.output(), /node stopped/);
  const again = await startNode({ rootPath: n.rootPath, cleanup: false });
  assert.equal((await opsClient(again.url, again.user, again.password)({ operation: 'describe_table', table: 't' })).body.record_count, 1);
  await again.stop();
});

test('without HDB_ADMIN_PASSWORD a strong password is generated, printed once, never logged', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'ferrydb-pw-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const n = await startNode({ rootPath: root, env: { HDB_ADMIN_PASSWORD: '', HDB_ADMIN_USERNAME: '' } });
  const m = /generated password:\s+(\S+)/.exec(n.output());
  assert.ok(m, n.output());
  const password = m![1]!;
  assert.ok(password.length >= 24);
  const op = opsClient(n.url, 'admin', password);
  assert.equal((await op({ operation: 'describe_all' })).status, 200);
  await n.stop();
  const logDir = join(root, 'log');
  const logs = readdirSync(logDir).map((f) => readFileSync(join(logDir, f), 'utf8')).join('\n');
  assert.ok(logs.length > 0 && !logs.includes(password), 'the log files never hold the password');
  const again = await startNode({ rootPath: root, env: { HDB_ADMIN_PASSWORD: '', HDB_ADMIN_USERNAME: '' } });
  assert.ok(!again.output().includes(password) && !/generated password/.test(again.output()));
  assert.equal((await opsClient(again.url, 'admin', password)({ operation: 'describe_all' })).status, 200);
  await again.stop();
});

test('read_log returns structured entries from the rotating log file', async () => {
  const n = await startNode({ env: { LOG_LEVEL: 'debug' } });
  const op = opsClient(n.url, n.user, n.password);
  await op({ operation: 'create_table', table: 't', primary_key: 'id' });
  const entries = (await op({ operation: 'read_log', limit: 50 })).body;
  assert.ok(Array.isArray(entries) && entries.length > 0);
  assert.ok(entries.some((e: { message: string }) => e.message === 'operations API listening'));
  for (const e of entries) assert.ok(e.level && e.timestamp && 'message' in e);
  const info = (await op({ operation: 'read_log', level: 'info', order: 'asc', limit: 1 })).body;
  assert.equal(info.length, 1);
  assert.equal((await op({ operation: 'read_log', level: 'loud' })).status, 400);
  assert.ok(existsSync(join(n.rootPath, 'log', 'ferrydb.log')));
  await n.stop();
});

test('invalid settings stop start-up with a message naming the setting', () => {
  const root = mkdtempSync(join(tmpdir(), 'ferrydb-bad-'));
  try {
    const r = spawnSync(process.execPath, [MAIN_JS], { env: { PATH: process.env.PATH, ROOTPATH: root, SERVER_PORT: 'not-a-port', LOG_LEVEL: 'silent' }, encoding: 'utf8', timeout: 20_000 });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /SERVER_PORT/);
    const r2 = spawnSync(process.execPath, [MAIN_JS, '--NO_SUCH_SETTING', '1'], { env: { PATH: process.env.PATH, ROOTPATH: root }, encoding: 'utf8', timeout: 20_000 });
    assert.notEqual(r2.status, 0);
    assert.match(r2.stderr, /NO_SUCH_SETTING/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
