import assert from 'node:assert/strict';
import { request } from 'node:http';
import { test } from 'node:test';
import WebSocket from 'ws';
import { startClusterNode, subStatus, ADMIN, type ClusterNode } from '../replication/helpers/cluster.js';
import { waitFor } from '../helpers/wait-for.js';

const AUTH = `Basic ${Buffer.from(`${ADMIN.user}:${ADMIN.password}`).toString('base64')}`;
const httpPort = (n: ClusterNode) => n.node.services.node.ports.http!;

function openWs(port: number, path: string, headers: Record<string, string> = { authorization: AUTH }): Promise<{ ws: WebSocket; messages: any[] }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, { headers });
    const messages: any[] = [];
    ws.on('message', (d) => messages.push(JSON.parse(d.toString())));
    ws.once('open', () => resolve({ ws, messages }));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

function openSse(port: number, path: string): Promise<{ events: any[]; close: () => void; status: number }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { authorization: AUTH, accept: 'text/event-stream' } }, (res) => {
      const events: any[] = [];
      let buf = '';
      res.on('data', (d: Buffer) => {
        buf += d.toString();
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const data = block.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
          if (data) events.push(JSON.parse(data));
        }
      });
      resolve({ events, close: () => req.destroy(), status: res.statusCode ?? 0 });
    });
    req.on('error', reject);
    req.end();
  });
}

const summary = (m: any) => `${m.type}:${m.id}${m.value ? `:${m.value.v}` : ''}`;

test('WebSocket and SSE subscriptions deliver the current records, then inserts, updates and deletes in order, including replicated ones', async (t) => {
  const hq = await startClusterNode(t, { name: 'hq' });
  const edge = await startClusterNode(t, { name: 'edge' });
  await edge.op({ operation: 'create_table', table: 'reading', primary_key: 'id' });
  await hq.op({ operation: 'create_table', table: 'reading', primary_key: 'id' });
  await hq.op({ operation: 'insert', table: 'reading', records: [{ id: 1, v: 'a' }] });
  const added = await hq.op({ operation: 'add_node', name: 'edge', host: '127.0.0.1', port: edge.clusteringPort, subscriptions: [{ channel: 'data:reading', subscribe: true, publish: false }] });
  assert.equal(added.status, 200, JSON.stringify(added.body));
  // Changes made on edge once the link streams arrive as change-log entries (not an initial copy).
  await waitFor(async () => (await subStatus(hq, 'edge', 'data:reading', 'outbound_connections'))?.state === 'streaming', { timeoutMs: 20_000, what: 'hq <- edge streaming' });

  const ws = await openWs(httpPort(hq), '/reading/');
  t.after(() => ws.ws.terminate());
  const wsOne = await openWs(httpPort(hq), '/data/reading/2');
  t.after(() => wsOne.ws.terminate());
  const sse = await openSse(httpPort(hq), '/reading/');
  t.after(() => sse.close());
  assert.equal(sse.status, 200);
  await waitFor(() => ws.messages.length === 1 && sse.events.length === 1, { what: 'initial records' });
  assert.deepEqual(ws.messages.map(summary), ['put:1:a']);

  // Local writes through two entry points, then writes made on edge that arrive by replication.
  await hq.op({ operation: 'insert', table: 'reading', records: [{ id: 2, v: 'b' }] });
  await fetch(`http://127.0.0.1:${httpPort(hq)}/reading/2`, { method: 'PATCH', headers: { authorization: AUTH, 'content-type': 'application/json' }, body: '{"v":"b2"}' });
  await hq.op({ operation: 'delete', table: 'reading', ids: [1] });
  await edge.op({ operation: 'insert', table: 'reading', records: [{ id: 3, v: 'c' }] });
  await edge.op({ operation: 'update', table: 'reading', records: [{ id: 3, v: 'c2' }] });
  await edge.op({ operation: 'delete', table: 'reading', ids: [3] });
  const expected = ['put:1:a', 'put:2:b', 'put:2:b2', 'delete:1', 'put:3:c', 'put:3:c2', 'delete:3'];
  await waitFor(() => ws.messages.length >= expected.length && sse.events.length >= expected.length, { timeoutMs: 20_000, what: 'every change on WebSocket and SSE' }).catch((e) => { throw new Error(e.message + ' ws=' + JSON.stringify(ws.messages.map(summary)) + ' sse=' + JSON.stringify(sse.events.map(summary))); });
  assert.deepEqual(ws.messages.map(summary), expected);
  assert.deepEqual(sse.events.map(summary), expected);
  assert.ok(ws.messages.every((m) => typeof m.timestamp === 'number'));
  // The record subscription saw only record 2.
  assert.deepEqual(wsOne.messages.map(summary), ['put:2:b', 'put:2:b2']);
});

test('subscriptions need credentials and an existing table', async (t) => {
  const n = await startClusterNode(t, { name: 'solo', clustering: false });
  await n.op({ operation: 'create_table', table: 't', primary_key: 'id' });
  await assert.rejects(openWs(httpPort(n), '/t/', {}), /upgrade refused: 401/);
  await assert.rejects(openWs(httpPort(n), '/missing/'), /upgrade refused: 404/);
  const bad = await fetch(`http://127.0.0.1:${httpPort(n)}/t/`, { headers: { accept: 'text/event-stream' } });
  assert.equal(bad.status, 401);
});

test('a slow WebSocket subscriber is disconnected with a reason once its buffer bound is passed', async (t) => {
  const n = await startClusterNode(t, { name: 'slow', clustering: false, settings: { 'http.maxSubscriberBufferBytes': '65536' } });
  await n.op({ operation: 'create_table', table: 't', primary_key: 'id' });
  const { ws } = await openWs(httpPort(n), '/t/');
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  // Stop reading: the node's send buffer fills up.
  (ws as any)._socket.pause();
  const big = 'x'.repeat(2000);
  for (let i = 0; i < 40; i++) {
    await n.op({ operation: 'insert', table: 't', records: Array.from({ length: 200 }, (_, j) => ({ id: i * 200 + j, big })) });
    if (n.node.services.node.ports.http && (await metricsDropped(n)) > 0) break;
  }
  await waitFor(async () => (await metricsDropped(n)) > 0, { what: 'the node to drop the slow subscriber' });
  (ws as any)._socket.resume();
  const { code, reason } = await closed;
  // The close frame reaches the client when it resumes (or the node terminates the socket: 1006).
  assert.ok(code === 1008 || code === 1006, `close code ${code}`);
  if (code === 1008) assert.match(reason, /subscriber too slow/);
  // The node is fine and keeps serving.
  assert.equal((await n.op({ operation: 'describe_table', table: 't' })).status, 200);
});

async function metricsDropped(n: ClusterNode): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${httpPort(n)}/metrics`, { headers: { authorization: AUTH } })).text();
  const m = /ferrydb_realtime_subscribers_dropped_total\{transport="websocket",reason="slow"\} (\d+)/.exec(text);
  return m ? Number(m[1]) : 0;
}
