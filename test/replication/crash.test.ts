import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import { test } from 'node:test';
import { opsClient, type Op } from '../helpers/http-client.js';
import { startNode, type StartNodeOptions, type TestNode } from '../helpers/node-process.js';
import { waitFor } from '../helpers/wait-for.js';
import { sensorRows } from './helpers/cluster.js';

const ENV = { CLUSTERING_HEARTBEATMS: '300', CLUSTERING_RECONNECT_MINMS: '50', CLUSTERING_RECONNECT_MAXMS: '500', LOG_LEVEL: 'warn' };

async function rows(op: Op): Promise<Record<string, unknown>[]> {
  const r = await op({ operation: 'search_by_value', database: 'default', table: 'sensor_data', search_attribute: 'id', search_value: '*', get_attributes: ['*'] });
  return r.status === 200 ? (r.body as Record<string, unknown>[]).sort((a, b) => (a.id as number) - (b.id as number)) : [];
}

const digest = (x: unknown) => createHash('sha256').update(JSON.stringify(x)).digest('hex');

test('kill -9 of either node mid-stream: after restart every row arrives exactly once', { timeout: 120_000 }, async (t) => {
  const roots: string[] = [];
  const live = new Set<TestNode>();
  t.after(async () => {
    for (const n of live) await n.kill();
    for (const r of roots) rmSync(r, { recursive: true, force: true });
  });
  const start = async (opts: StartNodeOptions) => {
    const n = await startNode({ clustering: true, env: ENV, cleanup: false, ...opts });
    live.add(n);
    if (!roots.includes(n.rootPath)) roots.push(n.rootPath);
    return n;
  };
  const kill = async (n: TestNode) => { await n.kill(); live.delete(n); };
  let edge = await start({ nodeName: 'edge' });
  let hq = await start({ nodeName: 'hq' });
  const edgeOp = () => opsClient(edge.url, edge.user, edge.password);
  const hqOp = () => opsClient(hq.url, hq.user, hq.password);
  await edgeOp()({ operation: 'create_database', database: 'default' });
  await edgeOp()({ operation: 'create_table', database: 'default', table: 'sensor_data', primary_key: 'id' });
  const added = await hqOp()({ operation: 'add_node', name: 'edge', host: '127.0.0.1', port: edge.clusteringPort, subscriptions: [{ channel: 'default:sensor_data', subscribe: true, publish: false }] });
  assert.equal(added.status, 200);

  let next = 1;
  const write = async (n: number) => {
    const r = await edgeOp()({ operation: 'insert', database: 'default', table: 'sensor_data', records: sensorRows(next, n) });
    assert.equal(r.status, 200);
    next += n;
  };
  for (let i = 0; i < 4; i++) await write(1000);
  await waitFor(async () => (await hqOp()({ operation: 'describe_table', database: 'default', table: 'sensor_data' })).body.record_count > 0, { timeoutMs: 20_000, what: 'stream running' });
  // hq dies while receiving
  await write(5000);
  await kill(hq);
  for (let i = 0; i < 3; i++) await write(1000);
  hq = await start({ nodeName: 'hq', rootPath: hq.rootPath, opsPort: hq.opsPort, clusteringPort: hq.clusteringPort });
  await write(5000);
  // edge dies while sending
  await kill(edge);
  edge = await start({ nodeName: 'edge', rootPath: edge.rootPath, opsPort: edge.opsPort, clusteringPort: edge.clusteringPort });
  for (let i = 0; i < 3; i++) await write(1000);
  const total = next - 1;
  await waitFor(async () => (await hqOp()({ operation: 'describe_table', database: 'default', table: 'sensor_data' })).body.record_count === total, { timeoutMs: 60_000, intervalMs: 100, what: `hq to hold ${total} rows` });
  const [a, b] = [await rows(edgeOp()), await rows(hqOp())];
  assert.equal(b.length, total);
  assert.equal(digest(b), digest(a));
  // exactly once: hq's change log holds one entry per row
  const audit = await hqOp()({ operation: 'read_audit_log', database: 'default', table: 'sensor_data', limit: 1_000_000 });
  assert.equal(audit.body.length, total);
});
