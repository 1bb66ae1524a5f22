import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { request } from 'node:http';
import { test } from 'node:test';
import { waitFor } from '../helpers/wait-for.js';
import { startClusterNode } from './helpers/cluster.js';

function upgrade(port: number, headers: Record<string, string>): Promise<{ status: number; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/ferrydb/replication', headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', ...headers } });
    req.on('response', (res) => { res.resume(); resolve({ status: res.statusCode ?? 0, headers: res.headers }); });
    req.on('upgrade', (res, socket) => { socket.destroy(); resolve({ status: res.statusCode ?? 101, headers: res.headers }); });
    req.on('error', reject);
    req.end();
  });
}

const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;

test('the clustering port checks version and credentials before the upgrade', async (t) => {
  const n = await startClusterNode(t, { name: 'gate' });
  const ok = { 'x-ferrydb-protocol': '1', 'x-ferrydb-node': 'visitor', authorization: basic('cluster_user', 'cluster-secret') };
  assert.equal((await upgrade(n.clusteringPort, ok)).status, 101);
  const v = await upgrade(n.clusteringPort, { ...ok, 'x-ferrydb-protocol': '99' });
  assert.equal(v.status, 426);
  assert.equal(v.headers['x-ferrydb-protocol'], '1');
  assert.equal((await upgrade(n.clusteringPort, { ...ok, authorization: basic('cluster_user', 'wrong') })).status, 401);
  assert.equal((await upgrade(n.clusteringPort, { ...ok, authorization: basic('nobody', 'x') })).status, 401);
  assert.equal((await upgrade(n.clusteringPort, { ...ok, 'x-ferrydb-node': 'gate' })).status, 409);
  assert.equal((await upgrade(n.clusteringPort, { ...ok, 'x-ferrydb-node': 'bad name!' })).status, 400);
  assert.match(n.logs(), /refused a replication connection: bad cluster credentials/);
  assert.equal(n.logs().includes('wrong'), false, 'the offered password is never logged');
});

test('a wrong cluster password is refused, reported as unauthorized, and retried with back-off', async (t) => {
  const edge = await startClusterNode(t, { name: 'edge' });
  const hq = await startClusterNode(t, { name: 'hq', clusterPassword: 'a-different-secret', settings: { 'clustering.reconnect.minMs': '100', 'clustering.reconnect.maxMs': '400' } });
  await hq.op({ operation: 'add_node', name: 'edge', host: '127.0.0.1', port: edge.clusteringPort, subscriptions: [{ channel: 'a:b', publish: true, subscribe: true }] });
  const link = async () => (await hq.op({ operation: 'cluster_status' })).body.status.outbound_connections[0];
  await waitFor(async () => (await link()).state === 'unauthorized', { what: 'unauthorized state' });
  const l = await link();
  assert.match(l.error, /credentials/);
  const before = (edge.logs().match(/bad cluster credentials/g) ?? []).length;
  const t0 = Date.now();
  await waitFor(() => (edge.logs().match(/bad cluster credentials/g) ?? []).length >= before + 3, { what: 'three more attempts' });
  const elapsed = Date.now() - t0;
  const attempts = (edge.logs().match(/bad cluster credentials/g) ?? []).length - before;
  assert.ok(elapsed / attempts >= 40, `attempts every ${elapsed / attempts} ms: not a tight loop`);
  const all = JSON.stringify(await link()) + hq.logs() + edge.logs();
  assert.equal(all.includes('a-different-secret') || all.includes('cluster-secret'), false);
});

test('a protocol version mismatch is refused with 426 and reported as version_mismatch', async (t) => {
  // a peer speaking another version: answers every upgrade with 426 like a FerryDB of version 2 would
  const fake = createServer((_req, res) => res.end());
  fake.on('upgrade', (_req, socket) => { socket.end('HTTP/1.1 426 Upgrade Required\r\nx-ferrydb-protocol: 2\r\ncontent-length: 0\r\nconnection: close\r\n\r\n'); });
  await new Promise<void>((r) => fake.listen(0, '127.0.0.1', () => r()));
  t.after(() => new Promise<void>((r) => fake.close(() => r())));
  const hq = await startClusterNode(t, { name: 'hq' });
  await hq.op({ operation: 'add_node', name: 'future', host: '127.0.0.1', port: (fake.address() as { port: number }).port });
  await waitFor(async () => (await hq.op({ operation: 'cluster_status' })).body.status.outbound_connections[0].state === 'version_mismatch', { what: 'version_mismatch' });
  const l = (await hq.op({ operation: 'cluster_status' })).body.status.outbound_connections[0];
  assert.match(l.error, /peer speaks 2/);
});

test('cluster operations validate like HarperDB and survive a restart', async (t) => {
  const n = await startClusterNode(t, { name: 'solo' });
  const bad = async (body: Record<string, unknown>, msg: RegExp) => {
    const r = await n.op({ operation: 'add_node', ...body });
    assert.equal(r.status, 400, JSON.stringify(r.body));
    assert.match(r.body.error, msg);
  };
  await bad({ host: 'h', port: 1 }, /'name' is required/);
  await bad({ name: 'x', port: 1 }, /'host' is required/);
  await bad({ name: 'x', host: 'h' }, /'port' is required/);
  await bad({ name: 'x', host: 'h', port: 'abc' }, /integer/);
  await bad({ name: 'x', host: 'h', port: 1, subscriptions: {} }, /array/);
  await bad({ name: 'x', host: 'h', port: 1, subscriptions: [{ channel: 'system:users', publish: true, subscribe: true }] }, /system/);
  await bad({ name: 'x', host: '127.0.0.1', port: n.clusteringPort }, /^Cannot add a node that matches the hosts clustering config\.$/);
  await bad({ name: 'solo', host: 'elsewhere', port: 5 }, /^Cannot add a node that matches the hosts clustering config\.$/);
  assert.deepEqual((await n.op({ operation: 'update_node', name: 'ghost', host: 'h', port: 1 })).body, { error: "Node 'ghost' does not exist. Operation aborted." });
  assert.equal((await n.op({ operation: 'add_node', name: 'far', host: '10.255.255.1', port: '12345', subscriptions: [{ channel: 'a:b', publish: true, subscribe: false }] })).status, 200);
  assert.deepEqual((await n.op({ operation: 'update_node', name: 'far', subscriptions: [{ channel: 'a:c', publish: false, subscribe: true }] })).body, { message: 'successfully updated far' });
  assert.deepEqual((await n.op({ operation: 'set_node_replication', node_name: 'near', host: '10.255.255.2', port: 1, subscriptions: [{ database: 'a', table: 'b', publish: true, subscribe: true }] })).body, { message: "Successfully added 'near' to manifest", added: [{ schema: 'a', table: 'b', publish: true, subscribe: true }], skipped: [] }, 'a 4.x body gets the 4.x answer');
  const rootPath = n.rootPath;
  await n.stop();
  const again = await startClusterNode(t, { name: 'solo', rootPath });
  const st = (await again.op({ operation: 'cluster_status' })).body;
  assert.deepEqual(st.status.outbound_connections.map((c: any) => [c.node_name, c.host_port, c.subscriptions.map((s: any) => s.channel)]).sort(), [['far', 12345, ['a:c']], ['near', 1, ['a:b']]]);
  assert.deepEqual((await again.op({ operation: 'remove_node', name: 'far' })).body, { message: 'successfully removed far from manifest' });
  assert.deepEqual((await again.op({ operation: 'remove_node', name: 'far' })).body, { error: "Node 'far' was not found." });
  assert.equal((await again.op({ operation: 'cluster_status' })).body.status.outbound_connections.length, 1);
});

test('with clustering disabled the operations exist: nodes are recorded, status says so', async (t) => {
  const n = await startClusterNode(t, { name: 'plain', clustering: false });
  const { retention, ...rest } = (await n.op({ operation: 'cluster_status' })).body;
  assert.deepEqual(rest, { is_enabled: false, node_name: 'plain', connections: [] });
  assert.equal(retention.last_trim, null);
  assert.deepEqual((await n.op({ operation: 'add_node', name: 'later', host: '10.0.0.9', port: 12345 })).body, { message: 'successfully added later to manifest' });
});

test('a peer sending garbage after the upgrade is disconnected with a protocol-error close code', async (t) => {
  const { dial } = await import('../../src/replication/peer-connection.js');
  const { CLOSE_CODES } = await import('../../src/replication/protocol/close-codes.js');
  const n = await startClusterNode(t, { name: 'target' });
  const r = await dial({ url: `ws://127.0.0.1:${n.clusteringPort}/ferrydb/replication`, nodeName: 'hostile', authorization: basic('cluster_user', 'cluster-secret'), heartbeatMs: 1000 });
  assert.ok(r.ok);
  const closed = new Promise<number>((resolve) => r.connection.attach({ onFrame: () => undefined, onClose: (code) => resolve(code) }));
  r.connection.send(Buffer.from([0x42, 1, 2, 3]));
  assert.equal(await closed, CLOSE_CODES.PROTOCOL_ERROR);
  assert.match(n.logs(), /closing replication link: bad frame/);
  // and a batch before the handshake is refused the same way
  const r2 = await dial({ url: `ws://127.0.0.1:${n.clusteringPort}/ferrydb/replication`, nodeName: 'hostile2', authorization: basic('cluster_user', 'cluster-secret'), heartbeatMs: 1000 });
  assert.ok(r2.ok);
  const closed2 = new Promise<number>((resolve) => r2.connection.attach({ onFrame: () => undefined, onClose: (code) => resolve(code) }));
  r2.connection.send(Buffer.from([5, 0x80]));
  assert.equal(await closed2, CLOSE_CODES.PROTOCOL_ERROR);
});
