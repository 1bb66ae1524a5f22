import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { opsClient } from '../helpers/http-client.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

let s: TestServer;
let now = Date.UTC(2026, 0, 1);
const HOUR = 3_600_000;

async function post(body: unknown, authorization?: string) {
  const res = await fetch(s.url, { method: 'POST', headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) }, body: JSON.stringify(body) });
  return { status: res.status, body: await res.json() as any };
}

before(async () => {
  s = await startTestServer({ OPERATION_TOKEN_TIMEOUT: '1h', AUTHENTICATION_REFRESHTOKENTIMEOUT: '2d' }, { clock: () => now });
  await s.op({ operation: 'create_database', database: 'dev' });
  await s.op({ operation: 'create_table', database: 'dev', table: 'dog', primary_key: 'id' });
  await s.op({ operation: 'add_role', role: 'reader', permission: { super_user: false, dev: { tables: { dog: { read: true } } } } });
  await s.op({ operation: 'add_user', role: 'reader', username: 'reader', password: 'reader-pw', active: true });
});
after(async () => { await s.close(); });

test('the token key is generated on the first token, under the root path with mode 0600, and kept', async () => {
  const key = join(s.rootPath, 'keys', '.jwtPrivate.key');
  assert.equal(existsSync(key), false, 'a node that has issued no token has no key yet (its start did not wait for one)');
  // A token checked before any was issued is refused, and creates the key.
  assert.equal((await post({ operation: 'refresh_operation_token', refresh_token: 'a.b.c' })).status, 401);
  const t = await post({ operation: 'create_authentication_tokens', username: 'reader', password: 'reader-pw' });
  assert.equal(t.status, 200);
  assert.equal(statSync(key).mode & 0o777, 0o600);
  const pem = readFileSync(key, 'utf8');
  await post({ operation: 'create_authentication_tokens', username: 'reader', password: 'reader-pw' });
  assert.equal(readFileSync(key, 'utf8'), pem, 'one key pair for the node');
});

test('create_authentication_tokens needs no header; Bearer works where Basic does, with the user\'s role', async () => {
  const t = await post({ operation: 'create_authentication_tokens', username: 'reader', password: 'reader-pw' });
  assert.equal(t.status, 200);
  assert.deepEqual(Object.keys(t.body).sort(), ['operation_token', 'refresh_token']);
  const [, payload] = t.body.operation_token.split('.');
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
  assert.equal(claims.username, 'reader');
  assert.equal(claims.sub, 'operation');
  assert.equal(claims.exp - claims.iat, 3600);
  const bearer = `Bearer ${t.body.operation_token}`;
  assert.equal((await post({ operation: 'user_info' }, bearer)).body.username, 'reader');
  assert.equal((await post({ operation: 'search_by_id', database: 'dev', table: 'dog', ids: [1] }, bearer)).status, 200);
  const denied = await post({ operation: 'list_users' }, bearer);
  assert.deepEqual(denied.body.unauthorized_access, ["Operation 'list_users' is restricted to 'super_user' roles"]);

  assert.deepEqual(await post({ operation: 'create_authentication_tokens', username: 'reader', password: 'wrong' }), { status: 401, body: { error: 'invalid credentials' } });
  assert.deepEqual(await post({ operation: 'create_authentication_tokens', username: 'reader' }), { status: 400, body: { error: 'password is required' } });
  assert.deepEqual(await post({ operation: 'refresh_operation_token' }), { status: 400, body: { error: 'refresh_token is required' } });
});

test('lifetimes follow the settings on the injected clock; expired and tampered tokens get HarperDB bodies', async () => {
  const t = (await post({ operation: 'create_authentication_tokens', username: 'reader', password: 'reader-pw' })).body;
  const bearer = `Bearer ${t.operation_token}`;
  now += HOUR - 5000;
  assert.equal((await post({ operation: 'user_info' }, bearer)).status, 200);
  now += 10_000;
  assert.deepEqual(await post({ operation: 'user_info' }, bearer), { status: 403, body: { error: 'token expired' } });

  // The refresh token (2 days) still gives a new operation token; an operation token is not a refresh token.
  const refreshed = await post({ operation: 'refresh_operation_token', refresh_token: t.refresh_token });
  assert.equal(refreshed.status, 200);
  assert.deepEqual(Object.keys(refreshed.body), ['operation_token']);
  assert.equal((await post({ operation: 'user_info' }, `Bearer ${refreshed.body.operation_token}`)).status, 200);
  assert.deepEqual(await post({ operation: 'refresh_operation_token', refresh_token: refreshed.body.operation_token }), { status: 401, body: { error: 'invalid token' } });

  const [h, p, sig] = refreshed.body.operation_token.split('.');
  const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p, 'base64url').toString()), username: 'admin' })).toString('base64url');
  assert.deepEqual(await post({ operation: 'user_info' }, `Bearer ${h}.${forged}.${sig}`), { status: 401, body: { error: 'invalid token' } });
  assert.deepEqual(await post({ operation: 'user_info' }, 'Bearer not-a-jwt'), { status: 401, body: { error: 'invalid token' } });

  now += 2 * 24 * HOUR;
  assert.deepEqual(await post({ operation: 'refresh_operation_token', refresh_token: t.refresh_token }), { status: 403, body: { error: 'token expired' } });
});

test('a password change revokes refresh tokens; an inactive user\'s token stops working', async () => {
  const t = (await post({ operation: 'create_authentication_tokens', username: 'reader', password: 'reader-pw' })).body;
  await s.op({ operation: 'alter_user', username: 'reader', password: 'reader-pw-2' });
  assert.deepEqual(await post({ operation: 'refresh_operation_token', refresh_token: t.refresh_token }), { status: 401, body: { error: 'invalid token' } });
  const bearer = `Bearer ${t.operation_token}`;
  assert.equal((await post({ operation: 'user_info' }, bearer)).status, 200);
  await s.op({ operation: 'alter_user', username: 'reader', active: false });
  assert.deepEqual(await post({ operation: 'user_info' }, bearer), { status: 401, body: { error: 'Cannot complete request: User is inactive' } });
  await s.op({ operation: 'alter_user', username: 'reader', active: true });
  assert.equal((await opsClient(s.url, 'reader', 'reader-pw-2')({ operation: 'user_info' })).status, 200);
});
