import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { waitFor } from '../helpers/wait-for.js';
import { count, sensorRows, startClusterNode, subStatus, waitForCount } from './helpers/cluster.js';

/** Test-only self-signed certificate for localhost/127.0.0.1 (test/fixtures/tls, valid 100 years). */
const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/tls/', import.meta.url));
const pem = { cert: join(FIXTURES, 'test-cert.pem'), key: join(FIXTURES, 'test-key.pem') };

test('replication runs over wss when clustering.tls is configured', async (t) => {
  const settings = { 'clustering.tls.certificate': pem.cert, 'clustering.tls.privateKey': pem.key, 'clustering.tls.certificateAuthority': pem.cert };
  const edge = await startClusterNode(t, { name: 'edge', settings });
  const hq = await startClusterNode(t, { name: 'hq', settings });
  await edge.op({ operation: 'create_database', database: 'default' });
  await edge.op({ operation: 'create_table', database: 'default', table: 'sensor_data', primary_key: 'id' });
  await hq.op({ operation: 'add_node', name: 'edge', host: '127.0.0.1', port: edge.clusteringPort, subscriptions: [{ channel: 'default:sensor_data', subscribe: true, publish: false }] });
  await edge.op({ operation: 'insert', database: 'default', table: 'sensor_data', records: sensorRows(1, 100) });
  await waitForCount(hq.op, 'default', 'sensor_data', 100);
  // a plain-ws dialler cannot talk to a TLS port
  const plain = await startClusterNode(t, { name: 'plain' });
  await plain.op({ operation: 'add_node', name: 'edge', host: '127.0.0.1', port: edge.clusteringPort, subscriptions: [{ channel: 'default:sensor_data', subscribe: true, publish: false }] });
  await waitFor(async () => {
    const c = (await plain.op({ operation: 'cluster_status' })).body.status.outbound_connections[0];
    return c.state !== 'connecting' && c.state !== 'open' && c.error;
  }, { what: 'plain dialler refused' });
});

test('update_node changes what flows on a live link; remove_node stops it; acked log entries are trimmed', async (t) => {
  const edge = await startClusterNode(t, { name: 'edge' });
  const hq = await startClusterNode(t, { name: 'hq' });
  await edge.op({ operation: 'create_database', database: 'default' });
  for (const table of ['a', 'b']) await edge.op({ operation: 'create_table', database: 'default', table, primary_key: 'id' });
  await hq.op({ operation: 'add_node', name: 'edge', host: '127.0.0.1', port: edge.clusteringPort, subscriptions: [{ channel: 'default:a', subscribe: true, publish: false }] });
  await edge.op({ operation: 'insert', database: 'default', table: 'a', records: sensorRows(1, 10) });
  await edge.op({ operation: 'insert', database: 'default', table: 'b', records: sensorRows(1, 10) });
  await waitForCount(hq.op, 'default', 'a', 10);
  assert.equal(await count(hq.op, 'default', 'b'), -1);
  const upd = await hq.op({ operation: 'update_node', name: 'edge', subscriptions: [{ channel: 'default:b', subscribe: true, publish: false }] });
  assert.deepEqual(upd.body, { message: 'successfully updated edge' });
  await waitForCount(hq.op, 'default', 'b', 10);
  await edge.op({ operation: 'insert', database: 'default', table: 'a', records: sensorRows(100, 5) });
  await edge.op({ operation: 'insert', database: 'default', table: 'b', records: sensorRows(100, 5) });
  await waitForCount(hq.op, 'default', 'b', 15);
  assert.equal(await count(hq.op, 'default', 'a'), 10, 'a no longer flows');
  // edge mirrors the new list
  await waitFor(async () => (await subStatus(edge, 'hq', 'default:b', 'inbound_connections'))?.backlog_rows === 0, { what: 'edge mirror of b' });
  // acknowledged entries are trimmed from edge's log; unsubscribed table a keeps its log
  await waitFor(async () => { await edge.replication.runRetention(); return edge.node.services.changelog.countAfter('default', 'b', 0) === 0; }, { what: 'acked log trimmed' });
  assert.equal(edge.node.services.changelog.countAfter('default', 'a', 0), 15);
  assert.deepEqual((await hq.op({ operation: 'remove_node', name: 'edge' })).body, { message: 'successfully removed edge from manifest' });
  assert.deepEqual((await hq.op({ operation: 'cluster_status' })).body.status.outbound_connections, []);
  await edge.op({ operation: 'insert', database: 'default', table: 'b', records: sensorRows(200, 5) });
  // The dialler removed edge: edge shows the entry as removed_by_peer (not "closed" forever).
  await waitFor(async () => (await edge.op({ operation: 'cluster_status' })).body.status.inbound_connections[0]?.state === 'removed_by_peer', { what: 'edge sees the link removed by hq' });
  assert.equal(await count(hq.op, 'default', 'b'), 15);
});
