/**
 * The HTTP port and MQTT apply the same table rules as the operations API: GET and subscribe
 * need read, PUT/PATCH/POST and retained publishes need insert and update, DELETE needs delete;
 * readable attributes limit what is returned; Bearer tokens work on REST.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import mqtt from 'mqtt';
import WebSocket from 'ws';
import { startTestServer } from '../helpers/test-server.js';
import { waitFor } from '../helpers/wait-for.js';

const flags = (read: boolean, insert: boolean, update: boolean, del: boolean, attribute_permissions: unknown[] = []) => ({ read, insert, update, delete: del, attribute_permissions });
const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;

test('REST, WebSocket and MQTT enforce table and attribute permissions', async (t) => {
  const s = await startTestServer();
  t.after(() => s.close());
  await s.op({ operation: 'create_database', database: 'dev' });
  await s.op({ operation: 'create_table', database: 'dev', table: 'dog', primary_key: 'id' });
  await s.op({ operation: 'insert', database: 'dev', table: 'dog', records: [{ id: 1, name: 'Penny', owner: 'Kyle' }] });
  const roles: Record<string, unknown> = {
    reader: { dev: { tables: { dog: flags(true, false, false, false) } } },
    writer: { dev: { tables: { dog: flags(false, true, true, false) } } },
    private: { dev: { tables: { dog: flags(true, false, false, false, [{ attribute_name: 'name', read: true, insert: false, update: false }, { attribute_name: 'owner', read: false, insert: false, update: false }]) } } },
  };
  for (const [role, permission] of Object.entries(roles)) {
    assert.equal((await s.op({ operation: 'add_role', role, permission })).status, 200);
    assert.equal((await s.op({ operation: 'add_user', role, username: role, password: `${role}-pw`, active: true })).status, 200);
  }
  const base = `http://127.0.0.1:${s.ports.http.port}`;
  const rest = (user: string, method: string, path: string, body?: unknown) => fetch(base + path, {
    method, headers: { authorization: basic(user, `${user}-pw`), ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined,
  });
  assert.equal((await rest('reader', 'GET', '/dev/dog/1')).status, 200);
  assert.equal((await rest('reader', 'PUT', '/dev/dog/2', { name: 'x' })).status, 403);
  assert.equal((await rest('reader', 'DELETE', '/dev/dog/1')).status, 403);
  assert.equal((await rest('writer', 'GET', '/dev/dog/1')).status, 403);
  assert.equal((await rest('writer', 'PUT', '/dev/dog/2', { name: 'Kato' })).status, 204);
  assert.equal((await rest('writer', 'DELETE', '/dev/dog/2')).status, 403);
  const hidden = await (await rest('private', 'GET', '/dev/dog/1')).json();
  assert.equal(hidden.name, 'Penny');
  assert.equal('owner' in hidden, false, 'an attribute the role may not read is not returned');
  const forbidden = await rest('reader', 'PUT', '/dev/dog/3', { name: 'y' });
  assert.match((await forbidden.json()).error, /not authorized/);

  // Bearer tokens from create_authentication_tokens work on the HTTP port too.
  const tokens = await fetch(s.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ operation: 'create_authentication_tokens', username: 'reader', password: 'reader-pw' }) });
  const { operation_token } = await tokens.json() as { operation_token: string };
  assert.equal((await fetch(`${base}/dev/dog/1`, { headers: { authorization: `Bearer ${operation_token}` } })).status, 200);

  // WebSocket subscription needs read.
  const refused = await new Promise<number>((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${s.ports.http.port}/dev/dog/`, { headers: { authorization: basic('writer', 'writer-pw') } });
    ws.once('unexpected-response', (_req, res) => { resolve(res.statusCode ?? 0); ws.terminate(); });
    ws.once('open', () => { resolve(101); ws.terminate(); });
    ws.once('error', () => {});
  });
  assert.equal(refused, 403);

  // MQTT: subscribe needs read (SUBACK 0x87 in MQTT 5), a retained publish needs insert and update (PUBACK 0x87).
  const m = (user: string) => mqtt.connectAsync(`mqtt://127.0.0.1:${s.ports.mqtt.port}`, { username: user, password: `${user}-pw`, protocolVersion: 5, reconnectPeriod: 0 });
  const reader = await m('reader');
  const writer = await m('writer');
  t.after(() => { reader.end(true); writer.end(true); });
  // mqtt.js turns the SUBACK failure code 0x87 into this error.
  await assert.rejects(writer.subscribeAsync('dev/dog/#', { qos: 1 }), /Not authorized/);
  const denied = await new Promise<any>((resolve) => reader.publish('dev/dog/5', '{"name":"no"}', { qos: 1, retain: true }, (err) => resolve(err)));
  assert.equal(denied?.code, 0x87);
  await writer.publishAsync('dev/dog/6', '{"name":"yes","owner":"Ann"}', { qos: 1, retain: true });
  const seen: string[] = [];
  const priv = await m('private');
  t.after(() => priv.end(true));
  priv.on('message', (_topic, payload) => seen.push(payload.toString()));
  await priv.subscribeAsync('dev/dog/6', { qos: 1 });
  await waitFor(() => seen.length === 1, { what: 'retained record for the private role' });
  assert.equal(JSON.parse(seen[0]!).name, 'yes');
  assert.equal('owner' in JSON.parse(seen[0]!), false);
  const r = await s.op({ operation: 'search_by_id', database: 'dev', table: 'dog', ids: [5, 6], get_attributes: ['id'] });
  assert.deepEqual(r.body, [{ id: 6 }]);
});
