import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, test } from 'node:test';
import { LoginLimiter } from '../../src/auth/login-limiter.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

let s: TestServer;
let now = 1_000_000;

/** POSTs an operation from a chosen loopback source address. */
function opFrom(localAddress: string, user: string, password: string, body: unknown): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const data = JSON.stringify(body);
    const req = request(s.url, { method: 'POST', localAddress, agent: false, headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`, 'content-length': Buffer.byteLength(data) } }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end(data);
  });
}

before(async () => { s = await startTestServer({}, { clock: () => now }); });
after(async () => { await s.close(); });

test('the limiter blocks an address after five failures, doubling the wait; a success clears it', () => {
  let t = 0;
  const l = new LoginLimiter({ clock: () => t });
  for (let i = 0; i < 4; i++) l.failed('a');
  assert.equal(l.blockedFor('a'), 0);
  l.failed('a');
  assert.equal(l.blockedFor('a'), 1000);
  t += 1000;
  l.failed('a');
  assert.equal(l.blockedFor('a'), 2000);
  assert.equal(l.blockedFor('b'), 0);
  l.succeeded('a');
  assert.equal(l.blockedFor('a'), 0);
  for (let i = 0; i < 20; i++) { l.failed('c'); t += 60_000; }
  l.failed('c');
  assert.equal(l.blockedFor('c'), 60_000);
});

test('guessing from one address is blocked without locking the admin out from another address', async () => {
  // The admin signs in from .1 first: a verified credential keeps working from there.
  assert.equal((await opFrom('127.0.0.1', 'admin', 'secret-pw', { operation: 'user_info' })).status, 200);
  for (let i = 0; i < 5; i++) assert.equal((await opFrom('127.0.0.1', 'admin', `guess-${i}`, { operation: 'user_info' })).status, 401);
  // Blocked: even the right password from this address is not checked now (a new credential).
  await s.op({ operation: 'add_user', role: 'super_user', username: 'ops2', password: 'ops2-pw', active: true });
  assert.deepEqual(await opFrom('127.0.0.1', 'ops2', 'ops2-pw', { operation: 'user_info' }), { status: 401, body: { error: 'Login failed' } });
  assert.equal((await opFrom('127.0.0.1', 'admin', 'secret-pw', { operation: 'user_info' })).status, 200, 'cached credential unaffected');
  // Another address is not affected at all.
  assert.equal((await opFrom('127.0.0.2', 'ops2', 'ops2-pw', { operation: 'user_info' })).status, 200);
  // create_authentication_tokens shares the limit.
  const tok = await opFrom('127.0.0.1', 'x', 'y', { operation: 'create_authentication_tokens', username: 'admin', password: 'secret-pw' });
  assert.equal(tok.status, 401);
  now += 1001;
  assert.equal((await opFrom('127.0.0.1', 'ops2', 'ops2-pw', { operation: 'user_info' })).status, 200);
});

test('token requests are limited by address even when they carry a valid Authorization header', async () => {
  await s.op({ operation: 'add_user', role: 'super_user', username: 'ops3', password: 'ops3-pw', active: true });
  for (let i = 0; i < 5; i++) {
    const r = await opFrom('127.0.0.3', 'admin', 'secret-pw', { operation: 'create_authentication_tokens', username: 'ops3', password: `guess-${i}` });
    assert.deepEqual(r, { status: 401, body: { error: 'invalid credentials' } });
  }
  const blocked = await opFrom('127.0.0.3', 'admin', 'secret-pw', { operation: 'create_authentication_tokens', username: 'ops3', password: 'ops3-pw' });
  assert.equal(blocked.status, 401);
  const elsewhere = await opFrom('127.0.0.4', 'admin', 'secret-pw', { operation: 'create_authentication_tokens', username: 'ops3', password: 'ops3-pw' });
  assert.equal(elsewhere.status, 200);
});
