import assert from 'node:assert/strict';
import { test } from 'node:test';
import { waitFor } from '../helpers/wait-for.js';
import { sensorRows, startClusterNode, subStatus, waitForCount } from './helpers/cluster.js';

test('a quiet subscription reports zero lag on the receiving side, not the last batch delay', async (t) => {
  const edge = await startClusterNode(t, { name: 'edge' });
  const hq = await startClusterNode(t, { name: 'hq' });
  for (const n of [edge, hq]) await n.op({ operation: 'create_table', database: 'default', table: 'sensor_data', primary_key: 'id' });
  await hq.op({ operation: 'add_node', name: 'edge', host: '127.0.0.1', port: edge.clusteringPort, subscriptions: [{ channel: 'default:sensor_data', subscribe: true, publish: false }] });
  await waitFor(async () => (await subStatus(hq, 'edge', 'default:sensor_data', 'outbound_connections'))?.state === 'streaming', { what: 'stream up' });
  await edge.op({ operation: 'insert', database: 'default', table: 'sensor_data', records: sensorRows(1, 500) });
  await waitForCount(hq.op, 'default', 'sensor_data', 500);
  const busy = await subStatus(hq, 'edge', 'default:sensor_data', 'outbound_connections');
  assert.ok(busy?.last_applied_at, 'the time of the last applied batch is reported');
  // heartbeat is 500 ms in these tests: after a quiet interval nothing is pending
  const quiet = await waitFor(async () => {
    const s = await subStatus(hq, 'edge', 'default:sensor_data', 'outbound_connections');
    return s && s.lag_ms === 0 && s.backlog_rows === 0 ? s : null;
  }, { timeoutMs: 5000, what: 'lag to read 0 once the link is quiet' });
  assert.equal(quiet.state, 'streaming');
  // The sender learns of the last ack a moment after hq applied it: poll its view too.
  const edgeSide = await waitFor(async () => {
    const s = await subStatus(edge, 'hq', 'default:sensor_data', 'inbound_connections');
    return s && s.backlog_rows === 0 && s.lag_ms === 0 ? s : null;
  }, { timeoutMs: 5000, what: 'the sender side to read backlog 0 and lag 0' });
  assert.equal(edgeSide.state, 'streaming');
});
