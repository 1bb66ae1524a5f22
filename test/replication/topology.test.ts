import assert from 'node:assert/strict';
import { test } from 'node:test';
import { waitFor } from '../helpers/wait-for.js';
import { count, createTables, rowsOf, sensorRows, startClusterNode, subStatus, waitForCount } from './helpers/cluster.js';

test('concurrent updates of the same keys on both sides of a bidirectional table converge', async (t) => {
  const a = await startClusterNode(t, { name: 'alpha' });
  const b = await startClusterNode(t, { name: 'beta' });
  await createTables([a, b], 'shared', ['items']);
  await a.op({ operation: 'add_node', name: 'beta', host: '127.0.0.1', port: b.clusteringPort, subscriptions: [{ channel: 'shared:items', publish: true, subscribe: true }] });
  await waitFor(async () => (await subStatus(a, 'beta', 'shared:items', 'outbound_connections'))?.state === 'streaming', { what: 'bidirectional stream' });
  const writes: Promise<unknown>[] = [];
  for (let round = 0; round < 30; round++) {
    const keys = Array.from({ length: 20 }, (_, i) => i);
    writes.push(a.op({ operation: 'upsert', database: 'shared', table: 'items', records: keys.map((id) => ({ id, by: 'alpha', round, [`a${round % 3}`]: round })) }));
    writes.push(b.op({ operation: 'upsert', database: 'shared', table: 'items', records: keys.map((id) => ({ id, by: 'beta', round, [`b${round % 4}`]: round })) }));
    if (round % 7 === 3) writes.push(b.op({ operation: 'delete', database: 'shared', table: 'items', ids: [round % 20] }));
  }
  await Promise.all(writes);
  await waitFor(async () => {
    const [x, y] = [await rowsOf(a.op, 'shared', 'items'), await rowsOf(b.op, 'shared', 'items')];
    return x.length > 0 && JSON.stringify(x) === JSON.stringify(y);
  }, { timeoutMs: 20_000, what: 'both sides identical' });
  // nothing echoes back forever: logs settle
  const logA = a.node.services.changelog.headSeq, logB = b.node.services.changelog.headSeq;
  await waitFor(async () => {
    const s = await subStatus(a, 'beta', 'shared:items', 'outbound_connections');
    return s?.backlog_rows === 0;
  }, { what: 'alpha backlog drained' });
  assert.ok(a.node.services.changelog.headSeq - logA < 5 && b.node.services.changelog.headSeq - logB < 5, 'no replication loop');
});

test('three nodes in a line (edge -> region -> hq) deliver everything exactly once', async (t) => {
  const edge = await startClusterNode(t, { name: 'edge' });
  const region = await startClusterNode(t, { name: 'region' });
  const hq = await startClusterNode(t, { name: 'hq' });
  await edge.op({ operation: 'create_database', database: 'default' });
  await edge.op({ operation: 'create_table', database: 'default', table: 'sensor_data', primary_key: 'id' });
  // region dials both neighbours: subscribes from edge, publishes to hq
  await region.op({ operation: 'add_node', name: 'edge', host: '127.0.0.1', port: edge.clusteringPort, subscriptions: [{ channel: 'default:sensor_data', subscribe: true, publish: false }] });
  await region.op({ operation: 'add_node', name: 'hq', host: '127.0.0.1', port: hq.clusteringPort, subscriptions: [{ channel: 'default:sensor_data', subscribe: false, publish: true }] });
  // A warm-up row proves both hops stream; rows written before a stream starts arrive by
  // initial sync (current state only), which would make the per-change counts below differ.
  await edge.op({ operation: 'insert', database: 'default', table: 'sensor_data', records: [{ id: 'warm-up' }] });
  await waitForCount(hq.op, 'default', 'sensor_data', 1, 30_000);
  const before = (n: typeof edge) => n.node.services.changelog.countAfter('default', 'sensor_data', 0);
  const [regionBefore, hqBefore] = [before(region), before(hq)];
  for (let i = 0; i < 5; i++) await edge.op({ operation: 'insert', database: 'default', table: 'sensor_data', records: sensorRows(1 + i * 1000, 1000) });
  await edge.op({ operation: 'update', database: 'default', table: 'sensor_data', records: [{ id: 1, pressure: 1.5 }] });
  await edge.op({ operation: 'delete', database: 'default', table: 'sensor_data', ids: [2] });
  await waitForCount(hq.op, 'default', 'sensor_data', 5000, 30_000);
  await waitFor(async () => JSON.stringify(await rowsOf(hq.op, 'default', 'sensor_data')) === JSON.stringify(await rowsOf(edge.op, 'default', 'sensor_data')), { what: 'hq equals edge' });
  // exactly once at every hop: one log entry per change
  assert.equal(before(region) - regionBefore, 5002);
  assert.equal(before(hq) - hqBefore, 5002);
  const [row] = (await hq.op({ operation: 'search_by_id', database: 'default', table: 'sensor_data', ids: [1], get_attributes: ['*'] })).body;
  assert.equal(row.pressure, 1.5);
  // origin survives the hop
  const [entry] = [...hq.node.services.changelog.readTable('default', 'sensor_data', { reverse: true, limit: 1 })];
  assert.equal(entry!.origin, 'edge');
});

test('a new subscription to a table with rows starts with an initial sync; start_time limits it', async (t) => {
  const edge = await startClusterNode(t, { name: 'edge' });
  const hq = await startClusterNode(t, { name: 'hq' });
  await edge.op({ operation: 'create_database', database: 'default' });
  await edge.op({ operation: 'create_table', database: 'default', table: 'old', primary_key: 'id' });
  await edge.op({ operation: 'create_table', database: 'default', table: 'recent', primary_key: 'id' });
  await edge.op({ operation: 'insert', database: 'default', table: 'old', records: sensorRows(1, 3000) });
  await edge.op({ operation: 'insert', database: 'default', table: 'recent', records: sensorRows(1, 100) });
  await edge.op({ operation: 'delete', database: 'default', table: 'old', ids: [5] });
  await waitFor(() => true);
  const cut = Date.now() + 5;
  await waitFor(() => Date.now() > cut + 5, { what: 'clock to pass the cut' });
  await edge.op({ operation: 'upsert', database: 'default', table: 'recent', records: sensorRows(1000, 10) });
  // trim the log so the initial sync must come from the table scan
  await edge.node.services.records.engine.transaction(() => edge.node.services.changelog.trimThrough('default', 'old', Number.MAX_SAFE_INTEGER));
  await hq.op({
    operation: 'add_node', node_name: 'edge', host: '127.0.0.1', port: edge.clusteringPort,
    subscriptions: [
      { database: 'default', table: 'old', subscribe: true, publish: false },
      { schema: 'default', table: 'recent', subscribe: true, publish: false, start_time: new Date(cut).toISOString() },
    ],
  });
  // live writes during and after the sync are not lost
  await edge.op({ operation: 'insert', database: 'default', table: 'old', records: sensorRows(5000, 10) });
  await waitForCount(hq.op, 'default', 'old', 3009, 20_000);
  await waitForCount(hq.op, 'default', 'recent', 10);
  assert.equal(JSON.stringify(await rowsOf(hq.op, 'default', 'old')), JSON.stringify(await rowsOf(edge.op, 'default', 'old')));
});

test('a peer behind the retained log is reported resync_required and resynced without losing its own rows', async (t) => {
  const edge = await startClusterNode(t, { name: 'edge', settings: { 'clustering.retention.maxEntries': '1000' } });
  const hq = await startClusterNode(t, { name: 'hq' });
  await edge.op({ operation: 'create_database', database: 'default' });
  await edge.op({ operation: 'create_table', database: 'default', table: 'sensor_data', primary_key: 'id' });
  await hq.op({ operation: 'add_node', name: 'edge', host: '127.0.0.1', port: edge.clusteringPort, subscriptions: [{ channel: 'default:sensor_data', subscribe: true, publish: false }] });
  await edge.op({ operation: 'insert', database: 'default', table: 'sensor_data', records: sensorRows(1, 100) });
  await waitForCount(hq.op, 'default', 'sensor_data', 100);
  // hq goes away; edge keeps writing past its retention limit
  const hqRoot = hq.rootPath;
  await hq.stop();
  await edge.op({ operation: 'insert', database: 'default', table: 'sensor_data', records: sensorRows(101, 3000) });
  await edge.op({ operation: 'delete', database: 'default', table: 'sensor_data', ids: [3] });
  await edge.replication.runRetention();
  assert.ok(edge.node.services.changelog.countAfter('default', 'sensor_data', 0) <= 1000);
  await waitFor(async () => (await subStatus(edge, 'hq', 'default:sensor_data', 'inbound_connections'))?.state === 'resync_required', { what: 'edge reports resync_required' });
  assert.match(edge.logs(), /trimmed past what some peers acknowledged/);
  // hq comes back with a row only it has
  const hq2 = await startClusterNode(t, { name: 'hq', rootPath: hqRoot });
  await hq2.op({ operation: 'insert', database: 'default', table: 'sensor_data', records: [{ id: 999_999, only: 'hq' }] });
  await waitForCount(hq2.op, 'default', 'sensor_data', 3100, 30_000);
  const ids = new Set((await rowsOf(hq2.op, 'default', 'sensor_data')).map((r) => r.id));
  assert.ok(ids.has(999_999), 'the row only hq had survived the resync');
  assert.ok(!ids.has(3), 'the delete arrived through the tombstone');
  assert.match(edge.logs(), /non-destructive resync/);
  assert.equal(await count(edge.op, 'default', 'sensor_data'), 3099);
});

// Issue 8, the fault-rounds bug: a row that reached a node by a resync carries no origin sequence. It used to be
// logged there with that node's own log position as its origin sequence; relayed back to the hub under the
// writer's name, that number raised the hub's "already applied" mark for the writer, and the writer's next rows
// (with smaller, real sequences) were skipped as duplicates: lost on the hub and everywhere behind it.
test('a row resynced to one edge and relayed back never makes the hub skip the writer\'s later rows', async (t) => {
  const hq = await startClusterNode(t, { name: 'hq' });
  const e1 = await startClusterNode(t, { name: 'edge1' });
  const e2 = await startClusterNode(t, { name: 'edge2' });
  await createTables([hq, e1, e2], 'default', ['shared']);
  const both = [{ channel: 'default:shared', subscribe: true, publish: true }];
  for (const e of [e1, e2]) {
    assert.equal((await e.op({ operation: 'add_node', name: 'hq', host: '127.0.0.1', port: hq.clusteringPort, subscriptions: both })).status, 200);
    await waitFor(async () => (await subStatus(e, 'hq', 'default:shared', 'outbound_connections'))?.state === 'streaming', { what: `${e.name} streaming` });
  }
  // edge1's log positions run far ahead of edge2's (another, unsubscribed table).
  await e1.op({ operation: 'create_table', database: 'default', table: 'filler', primary_key: 'id' });
  await e1.op({ operation: 'insert', database: 'default', table: 'filler', records: sensorRows(0, 3000) });
  await e1.stop();
  // While edge1 is away, edge2 writes; hq's log of the table is purged, so edge1 comes back through a resync.
  assert.equal((await e2.op({ operation: 'insert', database: 'default', table: 'shared', records: [{ id: 'e2-a', v: 1 }, { id: 'e2-a2', v: 1 }] })).status, 200);
  await waitForCount(hq.op, 'default', 'shared', 2);
  assert.equal((await hq.op({ operation: 'purge_stream', database: 'default', table: 'shared' })).status, 200);
  const back = await startClusterNode(t, { name: 'edge1', rootPath: e1.rootPath });
  await waitForCount(back.op, 'default', 'shared', 2, 20_000, 'edge1 resynced');
  assert.ok((await subStatus(hq, 'edge1', 'default:shared', 'inbound_connections'))?.resyncs >= 1, 'edge1 came back through a resync');
  // edge1's stream back to hq carries the resynced row; let hq see it (edge1's ack position passes it).
  const head = back.node.services.changelog.lastSeq('default', 'shared');
  await waitFor(async () => (await subStatus(hq, 'edge1', 'default:shared', 'inbound_connections'))?.applied_seq >= head, { what: 'hq received edge1\'s log of shared' });
  // edge2's link is redialled (update_node reconnects), so hq reads its applied mark for edge2 afresh.
  assert.equal((await e2.op({ operation: 'update_node', name: 'hq', host: '127.0.0.1', port: hq.clusteringPort, subscriptions: both })).status, 200);
  await waitFor(async () => (await subStatus(e2, 'hq', 'default:shared', 'outbound_connections'))?.state === 'streaming', { what: 'edge2 streaming again' });
  // edge2's next rows reach hq and edge1.
  assert.equal((await e2.op({ operation: 'insert', database: 'default', table: 'shared', records: [{ id: 'e2-b', v: 2 }, { id: 'e2-c', v: 3 }] })).status, 200);
  await waitForCount(hq.op, 'default', 'shared', 4, 20_000, 'hq holds edge2\'s later rows');
  await waitForCount(back.op, 'default', 'shared', 4, 20_000, 'edge1 holds edge2\'s later rows');
  // The resynced row is logged on edge1 without an origin sequence of its own.
  const relayed = [...back.node.services.changelog.readAfter('default', 'shared', 0, 100)].find((e) => e.key === 'e2-a');
  assert.equal(relayed?.originSeq, 0, JSON.stringify(relayed));
});

test('three nodes wired in a triangle (every table both ways on every link) converge, each change logged once per node', async (t) => {
  const nodes = [await startClusterNode(t, { name: 'n1' }), await startClusterNode(t, { name: 'n2' }), await startClusterNode(t, { name: 'n3' })];
  await createTables(nodes, 'default', ['shared']);
  const both = [{ channel: 'default:shared', subscribe: true, publish: true }];
  for (const [a, b] of [[0, 1], [1, 2], [2, 0]] as const) {
    assert.equal((await nodes[a]!.op({ operation: 'add_node', name: nodes[b]!.name, host: '127.0.0.1', port: nodes[b]!.clusteringPort, subscriptions: both })).status, 200);
  }
  for (const [a, b] of [[0, 1], [1, 2], [2, 0]] as const) {
    await waitFor(async () => (await subStatus(nodes[a]!, nodes[b]!.name, 'default:shared', 'outbound_connections'))?.state === 'streaming', { what: `${nodes[a]!.name} -> ${nodes[b]!.name} streaming` });
  }
  // Each node writes its own keys and, concurrently, the same keys as the others; some are deleted.
  const writes: Promise<unknown>[] = [];
  for (let round = 0; round < 10; round++) {
    for (const n of nodes) {
      writes.push(n.op({ operation: 'upsert', database: 'default', table: 'shared', records: [{ id: `${n.name}-${round}`, by: n.name }, { id: `common-${round % 4}`, by: n.name, round }] }));
    }
  }
  await Promise.all(writes);
  await waitForCount(nodes[2]!.op, 'default', 'shared', 34, 30_000, 'every key on n3');
  // Deletes on n3 of keys n1 wrote, while n2 writes again.
  await Promise.all([
    nodes[2]!.op({ operation: 'delete', database: 'default', table: 'shared', ids: ['n1-0', 'n1-3', 'n1-6'] }),
    nodes[1]!.op({ operation: 'upsert', database: 'default', table: 'shared', records: [{ id: 'common-0', by: 'n2', round: 99 }] }),
  ]);
  await waitFor(async () => {
    const all = await Promise.all(nodes.map((n) => rowsOf(n.op, 'default', 'shared')));
    return all[0]!.length > 0 && all.every((r) => JSON.stringify(r) === JSON.stringify(all[0]));
  }, { timeoutMs: 30_000, what: 'all three identical' });
  const rows = await rowsOf(nodes[0]!.op, 'default', 'shared');
  assert.equal(rows.length, 30 - 3 + 4, 'own keys minus the deleted ones, plus the common keys');
  // Nothing circulates: the logs stop growing, and no node logged a change of another node twice.
  const heads = nodes.map((n) => n.node.services.changelog.headSeq);
  await new Promise((r) => setTimeout(r, 1500));
  assert.deepEqual(nodes.map((n) => n.node.services.changelog.headSeq), heads, 'the logs are quiet');
  for (const n of nodes) {
    const seen = new Set<string>();
    for (const e of n.node.services.changelog.readAfter('default', 'shared', 0, 10_000)) {
      const id = `${e.origin}:${e.originSeq}:${String(e.key)}`;
      if (e.originSeq > 0) { assert.ok(!seen.has(id), `${n.name} logged ${id} twice`); seen.add(id); }
    }
  }
});
