import assert from 'node:assert/strict';
import { test } from 'node:test';
import { waitFor } from '../helpers/wait-for.js';
import { startClusterNode, subStatus, waitForCount, type ClusterNode } from './helpers/cluster.js';

async function status(n: ClusterNode): Promise<any> {
  return (await n.op({ operation: 'cluster_status' })).body.status;
}

async function setup(t: import('node:test').TestContext, a = 'edge', b = 'hq') {
  const edge = await startClusterNode(t, { name: a });
  const hq = await startClusterNode(t, { name: b });
  for (const n of [edge, hq]) await n.op({ operation: 'create_database', database: 'default' });
  await edge.op({ operation: 'create_table', database: 'default', table: 'sensor_data', primary_key: 'id' });
  await hq.op({ operation: 'create_table', database: 'default', table: 'configs', primary_key: 'name' });
  return { edge, hq };
}

const SENSOR_IN = { channel: 'default:sensor_data', subscribe: true, publish: false };
const CONFIGS_OUT = { channel: 'default:configs', subscribe: false, publish: true };

test('add_node on the dialled side merges into the one existing link (one link per pair)', async (t) => {
  const { edge, hq } = await setup(t);
  await hq.op({ operation: 'add_node', name: 'edge', host: '127.0.0.1', port: edge.clusteringPort, subscriptions: [SENSOR_IN] });
  await waitFor(async () => (await subStatus(hq, 'edge', 'default:sensor_data', 'outbound_connections'))?.state === 'streaming', { what: 'hq streaming' });
  // edge now asks for configs from hq, as if it had to dial.
  const r = await edge.op({ operation: 'add_node', name: 'hq', host: '127.0.0.1', port: hq.clusteringPort, subscriptions: [{ channel: 'default:configs', subscribe: true, publish: false }] });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.match(r.body.message, /merged into the existing link/);
  await waitFor(async () => (await subStatus(hq, 'edge', 'default:configs', 'outbound_connections'))?.state === 'streaming', { what: 'configs on the same link' });
  const e = await status(edge);
  assert.equal(e.outbound_connections.length, 0, 'edge does not dial a second link');
  assert.equal(e.inbound_connections.length, 1);
  assert.deepEqual(e.inbound_connections[0].subscriptions.map((s: any) => [s.channel, s.publish, s.subscribe]).sort(), [['default:configs', false, true], ['default:sensor_data', true, false]]);
  const h = await status(hq);
  assert.deepEqual(h.outbound_connections[0].subscriptions.map((s: any) => [s.channel, s.publish, s.subscribe]).sort(), [['default:configs', true, false], ['default:sensor_data', false, true]]);
  await hq.op({ operation: 'insert', database: 'default', table: 'configs', records: [{ name: 'rate', value: 5 }] });
  await edge.op({ operation: 'insert', database: 'default', table: 'sensor_data', records: [{ id: 1 }] });
  await waitForCount(edge.op, 'default', 'configs', 1);
  await waitForCount(hq.op, 'default', 'sensor_data', 1);
  // A second add_node of the same channel changes nothing and adds no link.
  await edge.op({ operation: 'add_node', name: 'hq', host: '127.0.0.1', port: hq.clusteringPort, subscriptions: [{ channel: 'default:configs', subscribe: true, publish: false }] });
  assert.equal((await status(edge)).outbound_connections.length, 0);
});

test('both nodes dialling each other end with one link carrying both lists', async (t) => {
  const { edge: alpha, hq: beta } = await setup(t, 'alpha', 'beta');
  await beta.op({ operation: 'create_table', database: 'default', table: 'sensor_data', primary_key: 'id' }).catch(() => undefined);
  // alpha publishes sensor_data to beta; beta publishes configs to alpha; both dial at once.
  await Promise.all([
    alpha.op({ operation: 'add_node', name: 'beta', host: '127.0.0.1', port: beta.clusteringPort, subscriptions: [{ channel: 'default:sensor_data', publish: true, subscribe: false }] }),
    beta.op({ operation: 'add_node', name: 'alpha', host: '127.0.0.1', port: alpha.clusteringPort, subscriptions: [CONFIGS_OUT] }),
  ]);
  await alpha.op({ operation: 'insert', database: 'default', table: 'sensor_data', records: [{ id: 1 }] });
  await beta.op({ operation: 'insert', database: 'default', table: 'configs', records: [{ name: 'rate', value: 5 }] });
  await waitForCount(beta.op, 'default', 'sensor_data', 1, 20_000);
  await waitForCount(alpha.op, 'default', 'configs', 1, 20_000);
  // One link for the pair, whichever side ended up dialling it, carrying both lists.
  const dialler = await waitFor(async () => {
    const [a, b] = [await status(alpha), await status(beta)];
    const one = (x: any, y: any) => x.outbound_connections.length === 1 && x.outbound_connections[0].state === 'open' && y.outbound_connections.length === 0 && y.inbound_connections.length === 1;
    return one(a, b) ? { node_name: 'alpha' } : one(b, a) ? { node_name: 'beta' } : null;
  }, { timeoutMs: 20_000, what: 'one link for the pair' });
  const mirror = dialler.node_name === 'alpha' ? [['default:configs', false, true], ['default:sensor_data', true, false]] : [['default:configs', true, false], ['default:sensor_data', false, true]];
  await waitFor(async () => {
    const d = (await status(dialler.node_name === 'alpha' ? alpha : beta)).outbound_connections[0];
    return JSON.stringify(d.subscriptions.map((s: any) => [s.channel, s.publish, s.subscribe]).sort()) === JSON.stringify(mirror);
  }, { what: 'the merged list on the dialler' });
});

test('update_node on the dialled side edits the link; the dialler learns it over the link', async (t) => {
  const { edge, hq } = await setup(t);
  await hq.op({ operation: 'add_node', name: 'edge', host: '127.0.0.1', port: edge.clusteringPort, subscriptions: [SENSOR_IN] });
  await waitFor(async () => (await subStatus(hq, 'edge', 'default:sensor_data', 'outbound_connections'))?.state === 'streaming', { what: 'hq streaming' });
  // The Studio's "Inbound link -> Edit subscriptions -> Save" on edge.
  const r = await edge.op({ operation: 'update_node', name: 'hq', subscriptions: [{ channel: 'default:sensor_data', publish: true, subscribe: false }, { channel: 'default:configs', publish: false, subscribe: true }] });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.deepEqual(r.body, { message: 'successfully updated hq' });
  await waitFor(async () => (await subStatus(hq, 'edge', 'default:configs', 'outbound_connections'))?.publish === true, { what: 'hq learned the edit' });
  assert.equal(hq.replication.peers.get('edge')!.subscriptions.length, 2, 'stored on the dialler');
  await hq.op({ operation: 'insert', database: 'default', table: 'configs', records: [{ name: 'rate', value: 5 }] });
  await waitForCount(edge.op, 'default', 'configs', 1);
  await waitFor(async () => !(await status(edge)).inbound_connections[0].pending_subscriptions, { what: 'edit confirmed' });
});

test('remove_node on the dialled side stops the dialler, which shows removed_by_peer and can be removed', async (t) => {
  const { edge, hq } = await setup(t);
  await hq.op({ operation: 'add_node', name: 'edge', host: '127.0.0.1', port: edge.clusteringPort, subscriptions: [SENSOR_IN] });
  await waitFor(async () => (await subStatus(hq, 'edge', 'default:sensor_data', 'outbound_connections'))?.state === 'streaming', { what: 'hq streaming' });
  assert.deepEqual((await edge.op({ operation: 'remove_node', name: 'hq' })).body, { message: 'successfully removed hq from manifest' });
  const o = await waitFor(async () => { const x = (await status(hq)).outbound_connections[0]; return x?.state === 'removed_by_peer' ? x : null; }, { what: 'hq learned the removal' });
  assert.match(o.error, /edge removed this node/);
  assert.equal(o.next_attempt_in_ms, undefined, 'no further dialling');
  await new Promise((r) => setTimeout(r, 600));
  assert.equal((await status(edge)).inbound_connections.length, 0, 'the dialler did not come back');
  // Restarted, it still does not dial.
  const root = hq.rootPath;
  await hq.stop();
  t.after(() => hq.close());
  const hq2 = await startClusterNode(t, { name: 'hq', rootPath: root });
  assert.equal((await status(hq2)).outbound_connections[0].state, 'removed_by_peer');
  // update_node on hq is a new intent: it dials again and edge accepts it.
  assert.equal((await hq2.op({ operation: 'update_node', name: 'edge', subscriptions: [SENSOR_IN] })).status, 200);
  await waitFor(async () => (await subStatus(hq2, 'edge', 'default:sensor_data', 'outbound_connections'))?.state === 'streaming', { what: 'reconnected after update_node' });
  // Removed by edge again, the entry is removable on hq.
  await edge.op({ operation: 'remove_node', name: 'hq' });
  await waitFor(async () => (await status(hq2)).outbound_connections[0]?.state === 'removed_by_peer', { what: 'removed again' });
  assert.equal((await hq2.op({ operation: 'remove_node', name: 'edge' })).status, 200);
  assert.equal((await status(hq2)).outbound_connections.length, 0);
  // A fresh add_node on hq reconnects.
  await hq2.op({ operation: 'add_node', name: 'edge', host: '127.0.0.1', port: edge.clusteringPort, subscriptions: [SENSOR_IN] });
  await waitFor(async () => (await subStatus(hq2, 'edge', 'default:sensor_data', 'outbound_connections'))?.state === 'streaming', { what: 'reconnected after a re-add' });
});

test('a dialler that removed this node is shown as removed_by_peer on the dialled node, and is removable', async (t) => {
  const { edge, hq } = await setup(t);
  await hq.op({ operation: 'add_node', name: 'edge', host: '127.0.0.1', port: edge.clusteringPort, subscriptions: [SENSOR_IN] });
  await waitFor(async () => (await subStatus(hq, 'edge', 'default:sensor_data', 'outbound_connections'))?.state === 'streaming', { what: 'hq streaming' });
  await hq.op({ operation: 'remove_node', name: 'edge' });
  const i = await waitFor(async () => { const x = (await status(edge)).inbound_connections[0]; return x?.state === 'removed_by_peer' ? x : null; }, { what: 'edge marks hq as gone' });
  assert.match(i.error, /hq removed this node/);
  assert.equal((await edge.op({ operation: 'remove_node', name: 'hq' })).status, 200);
  assert.equal((await status(edge)).inbound_connections.length, 0);
});
