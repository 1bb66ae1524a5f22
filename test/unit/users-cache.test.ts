import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { basicHeader } from '../../src/auth/credentials.js';
import { Users } from '../../src/auth/users.js';
import { parseDuration } from '../../src/config/duration.js';
import { loadConfig } from '../../src/config/load-config.js';
import { openLmdbEngine } from '../../src/storage/lmdb-engine.js';

test('a verified credential is served from memory; password, role and active changes apply to the next lookup', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ferrydb-users-'));
  const engine = openLmdbEngine({ path: dir });
  t.after(async () => { await engine.close(); rmSync(dir, { recursive: true, force: true }); });
  const users = new Users(engine);
  const viewer = await users.roles.add('viewer', { dev: { tables: {} } });
  await users.put('ann', 'pw-1', 'super_user');
  const h = basicHeader('ann', 'pw-1');
  assert.equal(users.cached(h), undefined, 'nothing cached before the first verification');
  const first = await users.authenticate(h);
  assert.equal(first.role.role, 'super_user');
  // Cache hits are synchronous lookups: thousands of them take far less than one scrypt (tens of ms).
  const t0 = performance.now();
  for (let i = 0; i < 10_000; i++) assert.ok(users.cached(h));
  assert.ok(performance.now() - t0 < 200, 'cached lookups do not hash');
  // A role change: the same cached credential now resolves to the new role, without re-verifying.
  await users.update('ann', { role: viewer.id });
  assert.equal(users.cached(h)?.role.role, 'viewer');
  // Altering the role document itself shows too.
  await users.roles.alter(viewer.id, 'viewer2', { super_user: false });
  assert.equal(users.cached(h)?.role.role, 'viewer2');
  // Inactive: no cache hit, and authentication says why.
  await users.update('ann', { active: false });
  assert.equal(users.cached(h), undefined);
  await assert.rejects(users.authenticate(h), /User is inactive/);
  await users.update('ann', { active: true });
  // A password change: the old header misses and fails.
  await users.update('ann', { password: 'pw-2' });
  assert.equal(users.cached(h), undefined);
  await assert.rejects(users.authenticate(h, 'addr-1'), /Login failed/);
  assert.equal((await users.authenticate(basicHeader('ann', 'pw-2'))).username, 'ann');
  // Dropped: gone at once.
  await users.remove('ann');
  assert.equal(users.cached(basicHeader('ann', 'pw-2')), undefined);
});

test('token lifetimes: HarperDB durations, validated at start-up with the setting named', () => {
  assert.equal(parseDuration('1d'), 86_400_000);
  assert.equal(parseDuration('30m'), 1_800_000);
  assert.equal(parseDuration(90), 90_000);
  assert.equal(parseDuration('soon'), null);
  assert.equal(loadConfig({ env: { REFRESH_TOKEN_TIMEOUT: '7d' } }).authentication.refreshTokenTimeout, '7d');
  assert.equal(loadConfig({ file: { authentication: { operationTokenTimeout: '2h' } } }).authentication.operationTokenTimeout, '2h');
  assert.throws(() => loadConfig({ env: { OPERATION_TOKEN_TIMEOUT: 'later' } }), /authentication\.operationTokenTimeout.*OPERATION_TOKEN_TIMEOUT/);
});
