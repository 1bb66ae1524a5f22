import assert from 'node:assert/strict';
import { test } from 'node:test';
import { waitFor } from '../helpers/wait-for.js';
import { rowsOf, startClusterNode, subStatus, waitForCount, type ClusterNode } from './helpers/cluster.js';

const SUB_T = [{ channel: 'default:t', subscribe: true, publish: false }];

async function addAndStream(from: ClusterNode, to: ClusterNode, subscriptions = SUB_T, channel = 'default:t'): Promise<void> {
  const r = await from.op({ operation: 'add_node', name: to.name, host: '127.0.0.1', port: to.clusteringPort, subscriptions });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  await waitFor(async () => (await subStatus(from, to.name, channel, 'outbound_connections'))?.state === 'streaming', { what: `${from.name} streaming from ${to.name}` });
}

test('a node joining after the log was trimmed resyncs once, then streams (no resync loop)', async (t) => {
  const a = await startClusterNode(t, { name: 'a' });
  const b = await startClusterNode(t, { name: 'b' });
  const c = await startClusterNode(t, { name: 'c' });
  await a.op({ operation: 'create_database', database: 'default' });
  await a.op({ operation: 'create_table', database: 'default', table: 't', primary_key: 'id' });
  await a.op({ operation: 'insert', database: 'default', table: 't', records: [{ id: 1 }, { id: 2 }, { id: 3 }] });
  await addAndStream(b, a);
  await waitForCount(b.op, 'default', 't', 3);
  await a.op({ operation: 'insert', database: 'default', table: 't', records: [{ id: 4 }] });
  await waitForCount(b.op, 'default', 't', 4);
  const head = a.node.services.changelog.lastSeq('default', 't');
  await waitFor(async () => (await subStatus(a, 'b', 'default:t', 'inbound_connections'))?.last_acked_seq === head, { what: 'b acked everything' });
  await a.replication.runRetention();
  assert.equal(a.node.services.changelog.firstSeq('default', 't'), 0, 'the whole log of t was trimmed');
  assert.ok(a.replication.cursors.trimmed('default', 't') > 0);
  await addAndStream(c, a);
  await waitForCount(c.op, 'default', 't', 4);
  // Let a loop show itself if there is one.
  await new Promise((r) => setTimeout(r, 1500));
  const st = await subStatus(a, 'c', 'default:t', 'inbound_connections');
  assert.ok(st!.resyncs <= 1, `resyncs ${st!.resyncs}`);
  assert.ok(st!.rows_sent <= 4, `rows_sent ${st!.rows_sent}`);
  assert.equal(st!.state, 'streaming');
  assert.doesNotMatch(a.logs(), /trimmed ahead of a live stream/);
  // The documented reset (remove_node, add_node) on b also ends streaming.
  assert.equal((await b.op({ operation: 'remove_node', name: 'a' })).status, 200);
  await addAndStream(b, a);
  await new Promise((r) => setTimeout(r, 1000));
  const sb = await subStatus(a, 'b', 'default:t', 'inbound_connections');
  assert.ok(sb!.resyncs <= 1 && sb!.rows_sent <= 8, JSON.stringify(sb));
  // And later writes reach both.
  await a.op({ operation: 'insert', database: 'default', table: 't', records: [{ id: 5 }] });
  await waitForCount(b.op, 'default', 't', 5);
  await waitForCount(c.op, 'default', 't', 5);
});

for (const tombstones of [10, 20_000]) {
  test(`a subscriber joining a table drained by deletes ends identical to the publisher (${tombstones} tombstones)`, async (t) => {
    const a = await startClusterNode(t, { name: 'a' });
    const b = await startClusterNode(t, { name: 'b' });
    await a.op({ operation: 'create_database', database: 'default' });
    await a.op({ operation: 'create_table', database: 'default', table: 't', primary_key: 'id' });
    const ids = Array.from({ length: tombstones }, (_, i) => i + 1);
    for (let i = 0; i < ids.length; i += 5000) {
      await a.op({ operation: 'insert', database: 'default', table: 't', records: ids.slice(i, i + 5000).map((id) => ({ id, v: id })) });
    }
    // b first holds the rows (a stale copy), then a deletes all of them while b is away.
    await addAndStream(b, a);
    await waitForCount(b.op, 'default', 't', tombstones, 60_000);
    assert.equal((await b.op({ operation: 'remove_node', name: 'a' })).status, 200);
    for (let i = 0; i < ids.length; i += 5000) {
      assert.equal((await a.op({ operation: 'delete', database: 'default', table: 't', ids: ids.slice(i, i + 5000) })).status, 200);
    }
    // The re-added subscription has no cursor: an initial sync of a table with no live rows.
    await addAndStream(b, a);
    await waitForCount(b.op, 'default', 't', 0, 60_000);
    // Still streaming afterwards: a later write arrives.
    await a.op({ operation: 'insert', database: 'default', table: 't', records: [{ id: 9999, v: 1 }] });
    await waitFor(async () => JSON.stringify(await rowsOf(b.op, 'default', 't')) === JSON.stringify(await rowsOf(a.op, 'default', 't')), { timeoutMs: 30_000, what: 'b identical to a' });
    assert.doesNotMatch(a.logs(), /replication sender failed|stalled/);
  });
}
