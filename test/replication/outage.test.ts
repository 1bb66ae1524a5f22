import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { waitFor } from '../helpers/wait-for.js';
import { FaultProxy } from '../../src/demo/fault-proxy.js';
import { count, rowsOf, sensorRows, startClusterNode, subStatus, waitForCount, type ClusterNode } from './helpers/cluster.js';

function checksum(rows: Record<string, unknown>[]): string {
  return createHash('sha256').update(JSON.stringify(rows)).digest('hex');
}

async function linkedPair(t: import('node:test').TestContext, settings: Record<string, string> = {}) {
  const edge = await startClusterNode(t, { name: 'edge', settings });
  const hq = await startClusterNode(t, { name: 'hq', settings });
  const proxy = await FaultProxy.start({ targetPort: edge.clusteringPort });
  t.after(() => proxy.close());
  await edge.op({ operation: 'create_database', database: 'default' });
  await edge.op({ operation: 'create_table', database: 'default', table: 'sensor_data', primary_key: 'id' });
  const r = await hq.op({ operation: 'add_node', name: 'edge', host: '127.0.0.1', port: proxy.port, subscriptions: [{ channel: 'default:sensor_data', subscribe: true, publish: false }] });
  assert.equal(r.status, 200);
  await waitFor(async () => (await subStatus(hq, 'edge', 'default:sensor_data', 'outbound_connections'))?.state === 'streaming', { what: 'stream established' });
  return { edge, hq, proxy };
}

function logEntries(n: ClusterNode): number {
  return n.node.services.changelog.countAfter('default', 'sensor_data', 0);
}

test('link cut while writing 10,000 rows: after restore every row arrives exactly once', async (t) => {
  const { edge, hq, proxy } = await linkedPair(t);
  let cutDone = false;
  for (let i = 0; i < 20; i++) {
    if (i === 5) { proxy.cut(); cutDone = true; }
    const res = await edge.op({ operation: 'insert', database: 'default', table: 'sensor_data', records: sensorRows(1 + i * 500, 500) });
    assert.equal(res.status, 200);
    if (i === 5) {
      await waitFor(async () => (await hq.op({ operation: 'cluster_status' })).body.status.outbound_connections[0].state !== 'open', { what: 'hq to notice the cut' });
    }
  }
  assert.ok(cutDone);
  const during = await count(hq.op, 'default', 'sensor_data');
  assert.ok(during < 10_000, `rows arrived during the outage: ${during}`);
  const st = await subStatus(hq, 'edge', 'default:sensor_data', 'outbound_connections');
  assert.equal(st!.state, 'disconnected');
  const edgeView = await subStatus(edge, 'hq', 'default:sensor_data', 'inbound_connections');
  assert.ok(edgeView!.backlog_rows > 0, JSON.stringify(edgeView));
  proxy.restore();
  await waitForCount(hq.op, 'default', 'sensor_data', 10_000, 30_000);
  assert.equal(checksum(await rowsOf(hq.op, 'default', 'sensor_data')), checksum(await rowsOf(edge.op, 'default', 'sensor_data')));
  // exactly once: hq logged one entry per row (a second apply would be skipped, not logged)
  assert.equal(logEntries(hq), 10_000);
  await waitFor(async () => (await subStatus(edge, 'hq', 'default:sensor_data', 'inbound_connections'))?.backlog_rows === 0, { what: 'edge backlog drained' });
});

test('a blackholed link is detected within two heartbeats and recovers when traffic flows again', async (t) => {
  const { edge, hq, proxy } = await linkedPair(t, { 'clustering.heartbeatMs': '200' });
  await edge.op({ operation: 'insert', database: 'default', table: 'sensor_data', records: sensorRows(1, 10) });
  await waitForCount(hq.op, 'default', 'sensor_data', 10);
  proxy.blackhole(true);
  const t0 = Date.now();
  await waitFor(async () => (await hq.op({ operation: 'cluster_status' })).body.status.outbound_connections[0].state !== 'open', { timeoutMs: 5000, intervalMs: 20, what: 'dead link detected' });
  const detectedMs = Date.now() - t0;
  // two silent intervals plus the check's own period, with slack for a loaded machine
  assert.ok(detectedMs < 200 * 3 + 500, `detected after ${detectedMs} ms`);
  proxy.disconnectAll();
  proxy.blackhole(false);
  await edge.op({ operation: 'insert', database: 'default', table: 'sensor_data', records: sensorRows(11, 10) });
  await waitForCount(hq.op, 'default', 'sensor_data', 20);
  assert.equal(logEntries(hq), 20);
});

test('a busy link does not time out: heartbeats are not starved by data', async (t) => {
  const { edge, hq, proxy } = await linkedPair(t, { 'clustering.heartbeatMs': '150', 'clustering.batch.maxRows': '200' });
  let closedBefore = 0;
  const linkState = async () => (await hq.op({ operation: 'cluster_status' })).body.status.outbound_connections[0];
  for (let i = 0; i < 20; i++) {
    await edge.op({ operation: 'insert', database: 'default', table: 'sensor_data', records: sensorRows(1 + i * 1000, 1000) });
    if ((await linkState()).state !== 'open') closedBefore++;
  }
  await waitForCount(hq.op, 'default', 'sensor_data', 20_000, 30_000);
  assert.equal(closedBefore, 0);
  assert.equal(proxy.counters().open, 1, 'one link throughout');
});

test('a write split into many transactions (one 20,001-row insert, then an UPDATE and a DELETE of most of it) replicates whole, once', async (t) => {
  const { edge, hq } = await linkedPair(t);
  const n = 20_001;
  const ins = await edge.op({ operation: 'insert', database: 'default', table: 'sensor_data', records: sensorRows(1, n) });
  assert.equal(ins.status, 200);
  assert.equal(ins.body.inserted_hashes.length, n);
  await waitForCount(hq.op, 'default', 'sensor_data', n, 60_000);
  const upd = await edge.op({ operation: 'sql', sql: 'UPDATE default.sensor_data SET weight = -1 WHERE id > 100' });
  assert.equal(upd.body.update_hashes.length, n - 100);
  const del = await edge.op({ operation: 'sql', sql: 'DELETE FROM default.sensor_data WHERE id > 10000' });
  assert.equal(del.body.deleted_hashes.length, n - 10_000);
  await waitForCount(hq.op, 'default', 'sensor_data', 10_000, 60_000);
  await waitFor(async () => {
    const r = await hq.op({ operation: 'sql', sql: 'SELECT COUNT(*) AS n FROM default.sensor_data WHERE weight = -1' });
    return r.body[0]?.n === 10_000 - 100;
  }, { timeoutMs: 60_000, what: 'the UPDATE on hq' });
  const [edgeRows, hqRows] = await Promise.all([rowsOf(edge.op, 'default', 'sensor_data'), rowsOf(hq.op, 'default', 'sensor_data')]);
  assert.equal(hqRows.length, 10_000);
  assert.deepEqual(hqRows, edgeRows);
  // Each of the edge's transactions is one log entry per row, none repeated on hq.
  assert.equal(logEntries(hq), n + (n - 100) + (n - 10_000));
});
