import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeBatchFrame } from '../../src/replication/protocol/frame-codec.js';
import { waitFor } from '../helpers/wait-for.js';
import { createTables, rowsOf, sensorRows, startClusterNode, subStatus, waitForCount, type ClusterNode } from './helpers/cluster.js';

const SENSOR = 'default:sensor_data';

async function edgeAndHq(t: import('node:test').TestContext, settings: Record<string, string> = {}, hqRoot?: string) {
  const edge = await startClusterNode(t, { name: 'edge', settings });
  const hq = await startClusterNode(t, { name: 'hq', settings, ...(hqRoot ? { rootPath: hqRoot } : {}) });
  await edge.op({ operation: 'create_database', database: 'default' });
  await edge.op({ operation: 'create_table', database: 'default', table: 'sensor_data', primary_key: 'id' });
  const r = await hq.op({ operation: 'add_node', name: 'edge', host: '127.0.0.1', port: edge.clusteringPort, subscriptions: [{ channel: SENSOR, subscribe: true, publish: false }] });
  assert.equal(r.status, 200);
  return { edge, hq };
}

const hqView = (hq: ClusterNode) => subStatus(hq, 'edge', SENSOR, 'outbound_connections');
const edgeView = (edge: ClusterNode) => subStatus(edge, 'hq', SENSOR, 'inbound_connections');

test('a batch that cannot be encoded closes the link with a reason shown in status, and is resent (not skipped)', async (t) => {
  const { edge, hq } = await edgeAndHq(t);
  await waitFor(async () => (await hqView(hq))?.state === 'streaming', { what: 'streaming' });
  let failures = 1;
  edge.replication.hooks.encode = async (batch, compression) => {
    if (batch.entries.length && failures > 0) { failures--; throw new Error('injected encode failure'); }
    return encodeBatchFrame(batch, compression);
  };
  // The hook applies to new links: restart the link once.
  await hq.op({ operation: 'update_node', name: 'edge', subscriptions: [{ channel: SENSOR, subscribe: true, publish: false }] });
  await waitFor(async () => (await hqView(hq))?.state === 'streaming', { what: 'streaming again' });
  await edge.op({ operation: 'insert', database: 'default', table: 'sensor_data', records: sensorRows(1, 50) });
  await waitForCount(hq.op, 'default', 'sensor_data', 50);
  assert.equal(failures, 0, 'the failure was injected');
  const view = await edgeView(edge);
  assert.match(String(view!.last_error), /injected encode failure/);
  assert.match(edge.logs(), /could not build a batch; closing the link/);
  assert.match(hq.logs(), /4008/);
  // Exactly once: one log entry per row on hq.
  assert.equal(hq.node.services.changelog.countAfter('default', 'sensor_data', 0), 50);
  assert.deepEqual(await rowsOf(hq.op, 'default', 'sensor_data'), await rowsOf(edge.op, 'default', 'sensor_data'));
});

test('per-subscription counters are cumulative across update_node and restarts; since_connected restarts', async (t) => {
  const { edge, hq } = await edgeAndHq(t);
  await edge.op({ operation: 'insert', database: 'default', table: 'sensor_data', records: sensorRows(1, 20) });
  await waitForCount(hq.op, 'default', 'sensor_data', 20);
  await waitFor(async () => (await hqView(hq))?.rows_received === 20, { what: 'hq counted 20' });
  await hq.op({ operation: 'update_node', name: 'edge', subscriptions: [{ channel: SENSOR, subscribe: true, publish: false }] });
  await waitFor(async () => (await hqView(hq))?.state === 'streaming', { what: 'streaming after update_node' });
  await edge.op({ operation: 'insert', database: 'default', table: 'sensor_data', records: sensorRows(21, 5) });
  await waitForCount(hq.op, 'default', 'sensor_data', 25);
  const after = await waitFor(async () => { const v = await hqView(hq); return v?.rows_received === 25 ? v : null; }, { what: 'hq counted 25' });
  assert.equal(after.since_connected.rows_received, 5);
  assert.ok(after.batches_applied >= 2);
  const sent = await waitFor(async () => { const v = await edgeView(edge); return v?.rows_sent === 25 ? v : null; }, { what: 'edge counted 25 sent' });
  assert.equal(sent.since_connected.rows_sent, 5);
  assert.equal(sent.backlog_rows, 0);
  // Restart both on the same roots: the figures are durable.
  const hqRoot = hq.rootPath, edgeRoot = edge.rootPath;
  await hq.stop();
  await edge.stop();
  const edge2 = await startClusterNode(t, { name: 'edge', rootPath: edgeRoot, clusteringPort: edge.clusteringPort });
  const hq2 = await startClusterNode(t, { name: 'hq', rootPath: hqRoot });
  t.after(() => { hq.close(); edge.close(); });
  const v = await waitFor(async () => { const x = await subStatus(hq2, 'edge', SENSOR, 'outbound_connections'); return x?.state === 'streaming' ? x : null; }, { what: 'hq2 streaming' });
  assert.equal(v.rows_received, 25);
  assert.equal(v.since_connected.rows_received, 0);
  const e = await waitFor(() => subStatus(edge2, 'hq', SENSOR, 'inbound_connections'), { what: 'edge2 sees hq' });
  assert.equal(e.rows_sent, 25);
});

test('a quiet subscription is streaming as soon as its SUB is answered (after a restart, no row needed)', async (t) => {
  const { edge, hq } = await edgeAndHq(t);
  await edge.op({ operation: 'insert', database: 'default', table: 'sensor_data', records: sensorRows(1, 3) });
  await waitForCount(hq.op, 'default', 'sensor_data', 3);
  const root = hq.rootPath;
  await hq.stop();
  t.after(() => hq.close());
  const hq2 = await startClusterNode(t, { name: 'hq', rootPath: root });
  // No write on edge: the state must still reach streaming within a few seconds.
  await waitFor(async () => (await subStatus(hq2, 'edge', SENSOR, 'outbound_connections'))?.receive_state === 'streaming', { timeoutMs: 8000, what: 'quiet subscription streaming' });
});

test('a subscription to a table the publisher does not have yet is waiting, not subscribing', async (t) => {
  const edge = await startClusterNode(t, { name: 'edge' });
  const hq = await startClusterNode(t, { name: 'hq' });
  await hq.op({ operation: 'add_node', name: 'edge', host: '127.0.0.1', port: edge.clusteringPort, subscriptions: [{ channel: 'default:later', subscribe: true, publish: false }] });
  await waitFor(async () => (await subStatus(hq, 'edge', 'default:later', 'outbound_connections'))?.receive_state === 'waiting', { what: 'waiting' });
  await edge.op({ operation: 'create_database', database: 'default' });
  await edge.op({ operation: 'create_table', database: 'default', table: 'later', primary_key: 'id' });
  await edge.op({ operation: 'insert', database: 'default', table: 'later', records: [{ id: 1 }] });
  await waitForCount(hq.op, 'default', 'later', 1);
  await waitFor(async () => (await subStatus(hq, 'edge', 'default:later', 'outbound_connections'))?.state === 'streaming', { what: 'streaming' });
});

test('retention: the interval is a setting, a pass runs soon after start, and the last trim is in status', async (t) => {
  const n = await startClusterNode(t, { name: 'solo', settings: { 'clustering.retention.intervalMs': '200', 'clustering.retention.maxEntries': '1000' } });
  await n.op({ operation: 'create_database', database: 'default' });
  await n.op({ operation: 'create_table', database: 'default', table: 't', primary_key: 'id' });
  await n.op({ operation: 'insert', database: 'default', table: 't', records: sensorRows(1, 1500) });
  const st = await waitFor(async () => { const b = (await n.op({ operation: 'cluster_status' })).body; return b.retention?.last_trim ? b : null; }, { timeoutMs: 15_000, what: 'a trim' });
  assert.equal(st.retention.interval_ms, 200);
  const tr = st.retention.last_trim.tables.find((x: any) => x.table === 't');
  assert.ok(tr && tr.removed === 500, JSON.stringify(st.retention));
  assert.equal(n.node.services.changelog.countAfter('default', 't', 0), 1000);
  // Restarted with a long interval, the first pass still comes soon after start.
  await n.op({ operation: 'insert', database: 'default', table: 't', records: sensorRows(2001, 700) });
  const root = n.rootPath;
  await n.stop();
  t.after(() => n.close());
  const again = await startClusterNode(t, { name: 'solo', rootPath: root, settings: { 'clustering.retention.intervalMs': '3600000', 'clustering.retention.firstPassMs': '300', 'clustering.retention.maxEntries': '1000' } });
  const st2 = await waitFor(async () => { const b = (await again.op({ operation: 'cluster_status' })).body; return b.retention?.last_trim ? b : null; }, { timeoutMs: 15_000, what: 'the first pass after a restart' });
  assert.equal(st2.retention.last_trim.tables.find((x: any) => x.table === 't').removed, 700);
  assert.equal(again.node.services.changelog.countAfter('default', 't', 0), 1000);
});

test('a subscribed table dropped locally is shown as dropped_locally and recreated with a full resync (default)', async (t) => {
  const { edge, hq } = await edgeAndHq(t);
  await edge.op({ operation: 'insert', database: 'default', table: 'sensor_data', records: sensorRows(1, 6) });
  await waitForCount(hq.op, 'default', 'sensor_data', 6);
  assert.equal((await hq.op({ operation: 'drop_table', database: 'default', table: 'sensor_data' })).status, 200);
  const v = await waitFor(async () => { const x = await hqView(hq); return x?.dropped_locally_at ? x : null; }, { what: 'drop noticed' });
  assert.match(String(v.notice), /dropped on this node/);
  await edge.op({ operation: 'insert', database: 'default', table: 'sensor_data', records: sensorRows(7, 1) });
  await waitForCount(hq.op, 'default', 'sensor_data', 7);
  assert.deepEqual(await rowsOf(hq.op, 'default', 'sensor_data'), await rowsOf(edge.op, 'default', 'sensor_data'));
  await waitFor(async () => (await hqView(hq))?.state === 'streaming', { what: 'streaming after the resync' });
  assert.match(hq.logs(), /dropped locally; recreating it/);
});

test('a both-ways table dropped locally comes back whole, this node\'s own rows included', async (t) => {
  const edge = await startClusterNode(t, { name: 'edge' });
  const hq = await startClusterNode(t, { name: 'hq' });
  await createTables([edge, hq], 'default', ['shared']);
  assert.equal((await hq.op({ operation: 'add_node', name: 'edge', host: '127.0.0.1', port: edge.clusteringPort, subscriptions: [{ channel: 'default:shared', subscribe: true, publish: true }] })).status, 200);
  await waitFor(async () => (await subStatus(hq, 'edge', 'default:shared', 'outbound_connections'))?.state === 'streaming', { what: 'streaming' });
  await hq.op({ operation: 'insert', database: 'default', table: 'shared', records: [{ id: 'hq-1' }, { id: 'hq-2' }] });
  await edge.op({ operation: 'insert', database: 'default', table: 'shared', records: [{ id: 'edge-1' }, { id: 'edge-2' }, { id: 'edge-3' }] });
  await waitForCount(hq.op, 'default', 'shared', 5);
  await waitForCount(edge.op, 'default', 'shared', 5);
  assert.equal((await hq.op({ operation: 'drop_table', database: 'default', table: 'shared' })).status, 200);
  // The resync brings back every row the publisher holds: the rows hq wrote itself as well as edge's.
  await waitForCount(hq.op, 'default', 'shared', 5, 20_000, 'hq whole again');
  assert.deepEqual(await rowsOf(hq.op, 'default', 'shared'), await rowsOf(edge.op, 'default', 'shared'));
  // And it streams both ways afterwards.
  await hq.op({ operation: 'insert', database: 'default', table: 'shared', records: [{ id: 'hq-3' }] });
  await edge.op({ operation: 'insert', database: 'default', table: 'shared', records: [{ id: 'edge-4' }] });
  await waitForCount(edge.op, 'default', 'shared', 7);
  await waitForCount(hq.op, 'default', 'shared', 7);
});

test('with recreateDroppedTables off, a local drop pauses the subscription until the table is created again', async (t) => {
  const { edge, hq } = await edgeAndHq(t, { 'clustering.recreateDroppedTables': 'false' });
  await edge.op({ operation: 'insert', database: 'default', table: 'sensor_data', records: sensorRows(1, 6) });
  await waitForCount(hq.op, 'default', 'sensor_data', 6);
  await hq.op({ operation: 'drop_table', database: 'default', table: 'sensor_data' });
  await waitFor(async () => (await hqView(hq))?.state === 'dropped_locally', { what: 'paused' });
  await edge.op({ operation: 'insert', database: 'default', table: 'sensor_data', records: sensorRows(7, 1) });
  await waitFor(async () => /paused/.test(String((await hqView(hq))?.notice)), { what: 'paused notice' });
  assert.equal((await hq.op({ operation: 'describe_table', database: 'default', table: 'sensor_data' })).status, 404, 'not recreated while paused');
  await hq.op({ operation: 'create_table', database: 'default', table: 'sensor_data', primary_key: 'id' });
  await waitForCount(hq.op, 'default', 'sensor_data', 7);
  assert.deepEqual(await rowsOf(hq.op, 'default', 'sensor_data'), await rowsOf(edge.op, 'default', 'sensor_data'));
});

test('a node whose data directory started over (same name, new disk) gets every table back and its new writes stream', async (t) => {
  const first = await startClusterNode(t, { name: 'edge' });
  const hq = await startClusterNode(t, { name: 'hq' });
  const port = first.clusteringPort;
  await createTables([first, hq], 'default', ['sensor_data', 'shared']);
  assert.equal((await hq.op({ operation: 'add_node', name: 'edge', host: '127.0.0.1', port, subscriptions: [
    { channel: SENSOR, subscribe: true, publish: false },
    { channel: 'default:shared', subscribe: true, publish: true },
  ] })).status, 200);
  await first.op({ operation: 'insert', database: 'default', table: 'sensor_data', records: sensorRows(1, 200) });
  await first.op({ operation: 'insert', database: 'default', table: 'shared', records: [{ id: 'edge-1' }, { id: 'edge-2' }] });
  await hq.op({ operation: 'insert', database: 'default', table: 'shared', records: [{ id: 'hq-1' }] });
  await waitForCount(hq.op, 'default', 'sensor_data', 200);
  await waitForCount(hq.op, 'default', 'shared', 3);
  await waitForCount(first.op, 'default', 'shared', 3);
  // The gateway's disk is replaced: same name, same address, empty data directory.
  await first.close();
  const edge = await startClusterNode(t, { name: 'edge', clusteringPort: port });
  // hq redials it; the new log is noticed and both sides start over with a full sync.
  await waitForCount(edge.op, 'default', 'shared', 3, 20_000, 'the both-ways table back on the new edge, its own old rows included');
  // Its new writes (log positions from 1 again) reach hq: nothing is taken for already sent or already applied.
  await edge.op({ operation: 'create_table', database: 'default', table: 'sensor_data', primary_key: 'id' });
  await edge.op({ operation: 'insert', database: 'default', table: 'sensor_data', records: sensorRows(1000, 5) });
  await edge.op({ operation: 'insert', database: 'default', table: 'shared', records: [{ id: 'edge-3' }] });
  await waitForCount(hq.op, 'default', 'sensor_data', 205, 20_000, 'the new edge\'s sensor rows on hq');
  await waitForCount(hq.op, 'default', 'shared', 4, 20_000, 'the new edge\'s shared row on hq');
  // hq's later writes still reach it.
  await hq.op({ operation: 'insert', database: 'default', table: 'shared', records: [{ id: 'hq-2' }] });
  await waitForCount(edge.op, 'default', 'shared', 5);
  assert.match(hq.logs(), /peer started a new change log/);
});
