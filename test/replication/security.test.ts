import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WebSocket } from 'ws';
import { decodeFrame, encodeControl, type DecodedFrame } from '../../src/replication/protocol/frame-codec.js';
import { FRAME_TYPES } from '../../src/replication/protocol/messages.js';
import { waitFor } from '../helpers/wait-for.js';
import { ADMIN, startClusterNode } from './helpers/cluster.js';

const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;

function open(port: number, authorization: string): Promise<{ ws: WebSocket | null; status: number; frames: DecodedFrame[] }> {
  return new Promise((resolve) => {
    const frames: DecodedFrame[] = [];
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ferrydb/replication`, { headers: { authorization, 'x-ferrydb-protocol': '1', 'x-ferrydb-node': 'intruder' } });
    ws.on('unexpected-response', (_req, res) => { resolve({ ws: null, status: res.statusCode ?? 0, frames }); res.resume(); ws.terminate(); });
    ws.on('open', () => resolve({ ws, status: 101, frames }));
    ws.on('message', (d: Buffer) => frames.push(decodeFrame(d)));
    ws.on('error', () => {});
  });
}

test('only a cluster user can open a replication link: super users and table users are refused (403)', async (t) => {
  const n = await startClusterNode(t, { name: 'gate2' });
  await n.op({ operation: 'create_database', database: 'dev' });
  await n.op({ operation: 'create_table', database: 'dev', table: 'a', primary_key: 'id' });
  await n.op({ operation: 'add_role', role: 'rw', permission: { dev: { tables: { a: { read: true, insert: true, update: true, delete: true } } } } });
  await n.op({ operation: 'add_user', role: 'rw', username: 'rw', password: 'rw-pw', active: true });
  assert.equal((await open(n.clusteringPort, basic(ADMIN.user, ADMIN.password))).status, 403);
  assert.equal((await open(n.clusteringPort, basic('rw', 'rw-pw'))).status, 403);
  const ok = await open(n.clusteringPort, basic('cluster_user', 'cluster-secret'));
  assert.equal(ok.status, 101);
  ok.ws!.close();
  assert.match(n.logs(), /user is not a cluster user/);
});

test('a node dialling with a non-cluster user gets nothing and shows unauthorized', async (t) => {
  const hq = await startClusterNode(t, { name: 'hq2' });
  await hq.op({ operation: 'create_database', database: 'dev' });
  await hq.op({ operation: 'create_table', database: 'dev', table: 'a', primary_key: 'id' });
  await hq.op({ operation: 'insert', database: 'dev', table: 'a', records: [{ id: 1 }] });
  // The edge uses the admin (a super user, not a cluster user) as its cluster credentials.
  const edge = await startClusterNode(t, { name: 'edge2', clusterUser: ADMIN.user, clusterPassword: ADMIN.password });
  await edge.op({ operation: 'add_node', name: 'hq2', host: '127.0.0.1', port: hq.clusteringPort, subscriptions: [{ channel: 'dev:a', publish: false, subscribe: true }] });
  await waitFor(async () => (await edge.op({ operation: 'cluster_status' })).body.status.outbound_connections[0]?.state === 'unauthorized', { what: 'unauthorized link' });
  assert.equal((await edge.op({ operation: 'describe_all' })).body.dev, undefined);
});

test('a peer receives only the tables its node record subscribes to: a SUB for another table is refused', async (t) => {
  const n = await startClusterNode(t, { name: 'pub3' });
  await n.op({ operation: 'create_database', database: 'dev' });
  for (const table of ['a', 'b']) {
    await n.op({ operation: 'create_table', database: 'dev', table, primary_key: 'id' });
    await n.op({ operation: 'insert', database: 'dev', table, records: [{ id: 1, secret: `${table}-row` }] });
  }
  const link = await open(n.clusteringPort, basic('cluster_user', 'cluster-secret'));
  assert.equal(link.status, 101);
  t.after(() => link.ws?.terminate());
  const ws = link.ws!;
  ws.send(encodeControl({ type: FRAME_TYPES.HELLO, node: 'intruder', subs: [{ db: 'dev', table: 'a', pub: false, sub: true }] }));
  await waitFor(() => link.frames.some((f) => f.type === FRAME_TYPES.WELCOME), { what: 'welcome' });
  ws.send(encodeControl({ type: FRAME_TYPES.SUB, db: 'dev', table: 'b', after: null }));
  ws.send(encodeControl({ type: FRAME_TYPES.SUB, db: 'dev', table: 'a', after: null }));
  await waitFor(() => link.frames.some((f) => f.type === FRAME_TYPES.BATCH), { what: 'the subscribed table streams' });
  const notice = link.frames.find((f) => f.type === FRAME_TYPES.NOTICE) as { db: string; table: string; state: string } | undefined;
  assert.deepEqual([notice?.db, notice?.table, notice?.state], ['dev', 'b', 'refused']);
  const batches = link.frames.filter((f) => f.type === FRAME_TYPES.BATCH) as { header: { table: string } }[];
  assert.deepEqual([...new Set(batches.map((b) => b.header.table))], ['a']);
});
