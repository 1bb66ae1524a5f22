import assert from 'node:assert/strict';
import { test } from 'node:test';
import { waitFor } from '../helpers/wait-for.js';
import { count, rowsOf, startClusterNode, subStatus, waitForCount } from './helpers/cluster.js';

test('the issue walkthrough: hq subscribes to edge sensor_data and publishes configs', async (t) => {
  const edge = await startClusterNode(t, { name: 'edge' });
  const hq = await startClusterNode(t, { name: 'hq' });

  const added = await hq.op({
    operation: 'add_node', name: 'edge', host: '127.0.0.1', port: edge.clusteringPort,
    subscriptions: [
      { channel: 'default:sensor_data', subscribe: true, publish: false },
      { channel: 'default:configs', subscribe: false, publish: true },
    ],
  });
  assert.equal(added.status, 200);
  assert.deepEqual(added.body, { message: 'successfully added edge to manifest' });
  const dup = await hq.op({ operation: 'add_node', name: 'edge', host: '127.0.0.1', port: edge.clusteringPort });
  assert.equal(dup.status, 400);
  assert.deepEqual(dup.body, { error: "Node 'edge' has already been added. Operation aborted." });

  await waitFor(async () => (await hq.op({ operation: 'cluster_status' })).body.status.outbound_connections[0]?.state === 'open', { what: 'hq -> edge link open' });
  // edge sees the mirrored subscription as inbound
  await waitFor(async () => {
    const s = await subStatus(edge, 'hq', 'default:configs', 'inbound_connections');
    return s && s.subscribe === true && s.publish === false;
  }, { what: 'edge records the mirrored subscription' });

  // configs: hq -> edge, table created automatically on edge
  assert.equal((await hq.op({ operation: 'create_database', database: 'default' })).status, 200);
  assert.equal((await hq.op({ operation: 'create_table', database: 'default', table: 'configs', primary_key: 'name' })).status, 200);
  await hq.op({ operation: 'insert', database: 'default', table: 'configs', records: [{ name: 'rate', value: 5 }, { name: 'mode', value: 'fast' }] });
  await waitForCount(edge.op, 'default', 'configs', 2);
  const desc = await edge.op({ operation: 'describe_table', database: 'default', table: 'configs' });
  assert.equal(desc.body.hash_attribute, 'name');

  // sensor_data: edge -> hq
  await edge.op({ operation: 'create_table', database: 'default', table: 'sensor_data', primary_key: 'id' });
  await edge.op({ operation: 'insert', database: 'default', table: 'sensor_data', records: [{ id: 1, t: 20.5 }, { id: 2, t: 21.25 }, { id: 3, t: 19 }] });
  await waitForCount(hq.op, 'default', 'sensor_data', 3);

  // updates and deletes follow the same directions
  await edge.op({ operation: 'update', database: 'default', table: 'sensor_data', records: [{ id: 1, t: 30, note: 'new attribute' }] });
  await edge.op({ operation: 'delete', database: 'default', table: 'sensor_data', ids: [2] });
  await hq.op({ operation: 'update', database: 'default', table: 'configs', records: [{ name: 'rate', value: 7 }] });
  await hq.op({ operation: 'delete', database: 'default', table: 'configs', ids: ['mode'] });
  await waitFor(async () => {
    const rows = await rowsOf(hq.op, 'default', 'sensor_data');
    return rows.length === 2 && rows[0]!.t === 30 && rows[0]!.note === 'new attribute';
  }, { what: 'update and delete of sensor_data at hq' });
  await waitFor(async () => {
    const rows = await rowsOf(edge.op, 'default', 'configs', 'name');
    return rows.length === 1 && rows[0]!.value === 7;
  }, { what: 'update and delete of configs at edge' });

  // nothing flows against the subscriptions
  await hq.op({ operation: 'insert', database: 'default', table: 'sensor_data', records: [{ id: 100, t: 1 }] });
  await edge.op({ operation: 'insert', database: 'default', table: 'configs', records: [{ name: 'local-only', value: 1 }] });
  // a marker row in the right direction proves the link is past those writes
  await edge.op({ operation: 'insert', database: 'default', table: 'sensor_data', records: [{ id: 4, t: 1 }] });
  await hq.op({ operation: 'insert', database: 'default', table: 'configs', records: [{ name: 'marker', value: 1 }] });
  await waitForCount(hq.op, 'default', 'sensor_data', 4);
  await waitForCount(edge.op, 'default', 'configs', 3);
  assert.equal(await count(edge.op, 'default', 'sensor_data'), 3);
  assert.equal((await rowsOf(hq.op, 'default', 'configs', 'name')).some((r) => r.name === 'local-only'), false);

  // replicated rows keep the origin's timestamps
  const [a] = (await edge.op({ operation: 'search_by_id', database: 'default', table: 'sensor_data', ids: [1], get_attributes: ['*'] })).body;
  const [b] = (await hq.op({ operation: 'search_by_id', database: 'default', table: 'sensor_data', ids: [1], get_attributes: ['*'] })).body;
  assert.deepEqual(b, a);

  // drop_table stays local
  assert.equal((await hq.op({ operation: 'drop_table', database: 'default', table: 'sensor_data' })).status, 200);
  await edge.op({ operation: 'insert', database: 'default', table: 'sensor_data', records: [{ id: 5, t: 1 }] });
  assert.equal(await count(edge.op, 'default', 'sensor_data'), 4);
  // hq re-creates the table from the stream (its cursor survived the drop)
  await waitFor(async () => (await count(hq.op, 'default', 'sensor_data')) >= 1, { what: 'hq receives after its local drop' });
  assert.equal(await count(edge.op, 'default', 'sensor_data'), 4);

  // status figures
  const st = await subStatus(hq, 'edge', 'default:configs', 'outbound_connections');
  assert.equal(st!.publish, true);
  assert.ok(st!.rows_sent >= 4, JSON.stringify(st));
  assert.equal(st!.backlog_rows, 0);
  const body = JSON.stringify((await hq.op({ operation: 'cluster_status' })).body) + JSON.stringify((await edge.op({ operation: 'cluster_status' })).body);
  assert.equal(body.includes('cluster-secret'), false);
  assert.equal(hq.logs().includes('cluster-secret') || edge.logs().includes('cluster-secret'), false);
});
