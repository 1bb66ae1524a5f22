/** Unit tests of the Studio's cluster_status reader (studio/src/lib/cluster.ts). */
import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { connectionHealth, groupPeers, normalizeClusterStatus, stallReason, trackProgress } from '../../studio/src/lib/cluster.js';

const answer = {
  is_enabled: true,
  node_name: 'a',
  status: {
    outbound_connections: [
      {
        node_name: 'b', host_address: '127.0.0.1', host_port: 12345, state: 'open',
        subscriptions: [{ channel: 'dev:dog', publish: true, subscribe: true, state: 'streaming', backlog_rows: 5, lag_ms: 120, last_sent_seq: 10, last_acked_seq: 8, bytes_sent: 2048 }],
      },
      { node_name: 'c', host_address: '10.0.0.3', host_port: '12345', state: 'unauthorized', error: 'cluster credentials rejected', subscriptions: [] },
    ],
    inbound_connections: [
      { node_name: 'b', host_address: '127.0.0.1', state: 'open', subscriptions: [{ channel: 'dev:dog', publish: true, subscribe: false }] },
      { state: 'open' },
      'junk',
    ],
  },
};

describe('studio cluster_status reader', () => {
  test('reads connections from both directions and reports unreadable entries', () => {
    const s = normalizeClusterStatus(answer);
    assert.equal(s.enabled, true);
    assert.equal(s.nodeName, 'a');
    assert.equal(s.connections.length, 3);
    assert.equal(s.connections[1]!.port, 12345, 'numeric strings become numbers');
    assert.equal(s.connections[0]!.subscriptions[0]!.backlogRows, 5);
    assert.equal(s.warnings.length, 2);
  });

  test('clustering disabled and garbage answers do not throw', () => {
    assert.deepEqual(normalizeClusterStatus({ is_enabled: false, node_name: 'solo' }), { enabled: false, nodeName: 'solo', connections: [], warnings: [] });
    assert.equal(normalizeClusterStatus('nope').warnings.length, 1);
    assert.equal(normalizeClusterStatus({ is_enabled: true, status: { outbound_connections: 'x' } }).warnings[0], 'outbound_connections is not a list');
  });

  test('groupPeers pairs outbound and inbound links by node name', () => {
    const peers = groupPeers(normalizeClusterStatus(answer));
    assert.deepEqual(peers.map((p) => [p.name, p.outbound?.state ?? null, p.inbound?.state ?? null]), [['b', 'open', 'open'], ['c', 'unauthorized', null]]);
  });

  test('connectionHealth classifies states and treats an open link with an error as stalled', () => {
    assert.equal(connectionHealth({ state: 'open', error: null }), 'ok');
    assert.equal(connectionHealth({ state: 'open', error: 'apply failed' }), 'stalled');
    assert.equal(connectionHealth({ state: 'connecting', error: null }), 'connecting');
    assert.equal(connectionHealth({ state: 'unauthorized', error: null }), 'unauthorized');
    assert.equal(connectionHealth({ state: 'closed', error: 'ECONNREFUSED' }), 'down');
    assert.equal(connectionHealth({ state: 'weird', error: null }), 'unknown');
  });

  test('a subscription with a backlog and no acknowledgement progress becomes stalled after the threshold', () => {
    const s1 = normalizeClusterStatus(answer);
    const conn = s1.connections[0]!;
    const ch = conn.subscriptions[0]!;
    let progress = trackProgress({}, s1, 0);
    assert.equal(stallReason(conn, ch, progress, 10_000, 30_000), null);
    progress = trackProgress(progress, s1, 31_000);
    assert.match(stallReason(conn, ch, progress, 31_000, 30_000) ?? '', /5 rows waiting and nothing acknowledged for 31 s/);
    // The acknowledged sequence moves: the clock restarts.
    const moved = normalizeClusterStatus(JSON.parse(JSON.stringify(answer).replace('"last_acked_seq":8', '"last_acked_seq":9')));
    progress = trackProgress(progress, moved, 32_000);
    assert.equal(stallReason(moved.connections[0]!, moved.connections[0]!.subscriptions[0]!, progress, 33_000, 30_000), null);
  });

  test('reads FerryDB extras: per-direction states, notices, row counts and link timing', () => {
    const s = normalizeClusterStatus({
      is_enabled: true,
      node_name: 'a',
      status: {
        outbound_connections: [{
          node_name: 'b', host_address: 'h', host_port: 1, state: 'closed', error: 'link closed (1006): ', next_attempt_in_ms: 1500,
          subscriptions: [{ channel: 'dev:dog', publish: true, subscribe: true, state: 'resync_required', send_state: 'resync_required', receive_state: 'disconnected', notice: 'peer trimmed its change log', rows_sent: 4, rows_received: 2 }],
        }],
        inbound_connections: [{ node_name: 'c', state: 'closed', error: 'peer not connected', last_seen: '2026-01-01T00:00:00.000Z', connected_since: undefined, subscriptions: [] }],
      },
    });
    const out = s.connections[0]!;
    assert.equal(out.nextAttemptMs, 1500);
    const ch = out.subscriptions[0]!;
    assert.deepEqual([ch.sendState, ch.receiveState, ch.notice, ch.rowsSent, ch.rowsReceived], ['resync_required', 'disconnected', 'peer trimmed its change log', 4, 2]);
    assert.equal(stallReason(out, ch, {}, 0, 30_000), "state 'resync_required': peer trimmed its change log");
    assert.equal(s.connections[1]!.lastSeen, '2026-01-01T00:00:00.000Z');
    assert.equal(connectionHealth({ state: 'version_mismatch', error: 'protocol 2 vs 1' }), 'stalled');
  });

  test('a subscription error is its own stall reason', () => {
    const s = normalizeClusterStatus({ is_enabled: true, status: { outbound_connections: [{ node_name: 'b', state: 'open', subscriptions: [{ channel: 'dev:dog', publish: true, subscribe: false, error: 'table dev.dog missing on b' }] }] } });
    const conn = s.connections[0]!;
    assert.equal(stallReason(conn, conn.subscriptions[0]!, {}, 0, 30_000), 'table dev.dog missing on b');
  });
});

describe('studio cluster_status reader: the peer\'s tables', () => {
  test('peer_tables of a connection are read (strings only); absent means unknown', () => {
    const s = normalizeClusterStatus({ is_enabled: true, node_name: 'hq', status: { outbound_connections: [{ node_name: 'edge', state: 'open', peer_tables: ['default:sensor_data', 7], subscriptions: [] }], inbound_connections: [{ node_name: 'x', state: 'closed', subscriptions: [] }] } });
    assert.deepEqual(s.connections.map((c) => c.peerTables), [['default:sensor_data'], null]);
  });
});
