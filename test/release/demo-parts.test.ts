/**
 * The demo's parts on their own: the fault proxy against a local echo server, and the fleet
 * plus the summary against one real node (both "sides" of the summary read the same node).
 */
import * as assert from 'node:assert/strict';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { after, before, test } from 'node:test';
import { FaultProxy } from '../../src/demo/fault-proxy.js';
import { Fleet, type SensorRow } from '../../src/demo/fleet.js';
import { OpsClient } from '../../src/demo/ops-client.js';
import { digestRows, fetchAllRows, formatSummary, summarize } from '../../src/demo/summary.js';
import { readClusterFigures } from '../../src/demo/cluster-figures.js';
import { parseDemoArgs, timeline } from '../../src/demo/demo.js';
import { frameLines, plainLine, progressBar, type DemoSnapshot } from '../../src/demo/view.js';
import { startNode, type TestNode } from '../helpers/node-process.js';
import { waitFor } from '../helpers/wait-for.js';

async function echoServer(): Promise<{ server: Server; port: number; sockets: Set<Socket> }> {
  const sockets = new Set<Socket>();
  const server = createServer((s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); s.on('error', () => undefined); s.pipe(s); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { server, port: (server.address() as { port: number }).port, sockets };
}

function dial(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
}

test('fault proxy forwards both ways, counts the bytes and cuts and restores the link', async () => {
  const echo = await echoServer();
  const proxy = await FaultProxy.start({ targetPort: echo.port });
  try {
    const a = await dial(proxy.port);
    let received = '';
    a.on('data', (d) => { received += d.toString(); });
    a.write('hello ferry');
    await waitFor(() => received === 'hello ferry', { what: 'the echo through the proxy', timeoutMs: 5000 });
    assert.deepEqual({ to: proxy.counters().bytesToTarget, from: proxy.counters().bytesFromTarget }, { to: 11, from: 11 });
    assert.equal(proxy.counters().open, 1);

    const closed = new Promise<void>((r) => a.once('close', () => r()));
    proxy.cut();
    assert.equal(proxy.isCut, true);
    await closed;
    // While cut, a new connection is accepted by the kernel and dropped at once.
    const b = connect(proxy.port, '127.0.0.1');
    b.on('error', () => undefined);
    await new Promise<void>((r) => b.once('close', () => r()));
    assert.equal(proxy.counters().refused, 1);

    proxy.restore();
    assert.equal(proxy.firstAcceptSinceRestore, 0, 'no connection accepted since the restore yet');
    const c = await dial(proxy.port);
    let again = '';
    c.on('data', (d) => { again += d.toString(); });
    c.write('back');
    await waitFor(() => again === 'back', { what: 'the echo after restore', timeoutMs: 5000 });
    assert.equal(proxy.counters().bytesToTarget, 15);
    const first = proxy.firstAcceptSinceRestore;
    assert.ok(first > 0, 'the first connection after the restore is timed');
    // A later connection moves lastAcceptAt but not the first-accept time the catch-up bench measures from.
    const d = await dial(proxy.port);
    await waitFor(() => proxy.lastAcceptAt > first, { what: 'the second accept', timeoutMs: 5000 });
    assert.equal(proxy.firstAcceptSinceRestore, first);
    d.destroy();
    c.destroy();
  } finally {
    await proxy.close();
    for (const s of echo.sockets) s.destroy();
    await new Promise<void>((r) => echo.server.close(() => r()));
  }
});

test('demo options: defaults, a bounded run and rejected values', () => {
  assert.deepEqual(parseDemoArgs([]), { rate: 2000, outageS: 10, durationS: null, machines: 20, batchRows: 500, plain: false, via: 'mqtt' });
  assert.equal(parseDemoArgs(['--via', 'operations']).via, 'operations');
  assert.throws(() => parseDemoArgs(['--via', 'carrier-pigeon']), /--via/);
  const o = parseDemoArgs(['--duration', '12', '--outage=3', '--rate', '500']);
  assert.equal(o.durationS, 12);
  assert.equal(o.outageS, 3);
  const t = timeline(o);
  assert.ok(t.configS < t.cutS! && t.restoreS! === t.cutS! + 3 && t.restoreS! < 12);
  assert.throws(() => parseDemoArgs(['--rate', 'fast']), /--rate/);
  assert.throws(() => parseDemoArgs(['--duration', '10', '--outage', '9']), /does not fit/);
  assert.throws(() => parseDemoArgs(['--nope']), /unknown option/);
});

test('cluster figures are read wherever cluster_status reports them', () => {
  const status = { connections: [{ name: 'edge', subscriptions: [{ backlog_rows: 5, lag_ms: 40, bytes_sent: 100 }, { backlog_rows: 2, lag_ms: 90, bytes_sent: 50 }] }] };
  assert.deepEqual(readClusterFigures([status, null]), { backlogRows: 7, lagMs: 90 });
  assert.deepEqual(readClusterFigures([{ is_enabled: true }]), { backlogRows: null, lagMs: null });
  // FerryDB's answer carries both shapes with the same figures: counted once
  const sub = { backlog_rows: 5, lag_ms: 40 };
  const both = { connections: [{ node_name: 'edge', subscriptions: [sub] }], status: { outbound_connections: [{ node_name: 'edge', subscriptions: [sub] }], inbound_connections: [] } };
  assert.deepEqual(readClusterFigures([both]), { backlogRows: 5, lagMs: 40 });
});

test('view frames show the figures and a progress bar during catch-up', () => {
  const s: DemoSnapshot = {
    elapsedS: 7.2, durationS: 12, phase: 'catching up', linkUp: true, written: 3500, writeRate: 500, edgeRows: 3500, hqRows: 2000,
    backlog: 1500, lagMs: 3000, wireBytes: 50_000, jsonBytes: 200_000, sampleIntervalMs: 80, configVersion: 2, catchUp: 0.5, events: ['link restored'],
  };
  const frame = frameLines(s).join('\n');
  assert.match(frame, /backlog\s+1,500 rows/);
  assert.match(frame, /compression 4\.0x/);
  assert.match(frame, /catch-up\s+\[#{15}\.{15}\]  50%/);
  assert.match(plainLine(s), /written=3500 .*hq=2000 backlog=1500 lag_ms=3000 wire_bytes=50000 compression=4\.0 catch_up=50%/);
  assert.equal(progressBar(2, 4), '[####] 100%');
});

let node: TestNode;
let ops: OpsClient;
before(async () => {
  node = await startNode({ nodeName: 'solo' });
  ops = new OpsClient(node.url, node.user, node.password);
  for (const table of ['sensor_data', 'configs']) await ops.call({ operation: 'create_table', schema: 'default', table, hash_attribute: 'id' });
});
after(async () => { await node?.stop(); });

test('fleet writes sensor rows in batches and obeys the configuration row', async () => {
  const fleet = new Fleet({ edge: ops, database: 'default', table: 'sensor_data', configTable: 'configs', rate: 400, machines: 4, batchRows: 50, configPollMs: 50 });
  assert.equal(fleet.stats().sampleIntervalMs, 10);
  fleet.start();
  await waitFor(() => fleet.stats().written >= 100, { what: 'the fleet to write 100 rows', timeoutMs: 10_000 });
  await ops.call({ operation: 'upsert', schema: 'default', table: 'configs', records: [{ id: 'fleet', sample_interval_ms: 40, version: 2 }] });
  await waitFor(() => fleet.stats().configVersion === 2, { what: 'the fleet to pick up config v2', timeoutMs: 5000 });
  assert.equal(fleet.stats().sampleIntervalMs, 40);
  assert.equal(fleet.stats().targetRate, 100);
  await fleet.stop();
  const written = fleet.stats().written;
  const rows = await fetchAllRows(ops, 'default', 'sensor_data');
  assert.equal(rows.length, written);
  assert.deepEqual(Object.keys(rows[0]!).sort(), ['id', 'machine_id', 'pressure', 'temperature', 'weight', 'ts'].sort());
  assert.deepEqual(rows.map((r) => r.id), Array.from({ length: written }, (_, i) => i + 1));

  // Both sides read from the same node here: the summary must hold.
  const edge = digestRows('edge', rows, written);
  const good = summarize({ written, fleetChecksum: fleet.checksum(), edge, hq: digestRows('hq', rows, written) });
  assert.equal(good.ok, true);
  assert.ok(formatSummary(good).includes('lost: 0'));
  assert.ok(formatSummary(good).includes('duplicated: 0'));

  // A missing row, a repeated row and a changed value are each caught.
  const missing = summarize({ written, fleetChecksum: fleet.checksum(), edge, hq: digestRows('hq', rows.slice(1), written) });
  assert.deepEqual([missing.lost, missing.duplicated, missing.ok], [1, 0, false]);
  const twice = summarize({ written, fleetChecksum: fleet.checksum(), edge, hq: digestRows('hq', [...rows, rows[5]!], written) });
  assert.deepEqual([twice.lost, twice.duplicated, twice.ok], [0, 1, false]);
  const changed: SensorRow[] = rows.map((r, i) => (i === 3 ? { ...r, pressure: r.pressure + 1 } : r));
  const tampered = summarize({ written, fleetChecksum: fleet.checksum(), edge, hq: digestRows('hq', changed, written) });
  assert.deepEqual([tampered.lost, tampered.duplicated, tampered.checksumsMatch, tampered.ok], [0, 0, false, false]);
});
