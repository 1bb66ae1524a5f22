import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startClusterNode, ADMIN, waitForCount, sensorRows, type ClusterNode } from '../replication/helpers/cluster.js';
import { startTestServer } from '../helpers/test-server.js';
import { waitFor } from '../helpers/wait-for.js';

const AUTH = `Basic ${Buffer.from(`${ADMIN.user}:${ADMIN.password}`).toString('base64')}`;

interface Sample { name: string; labels: Record<string, string>; value: number }

/** A strict reader of the Prometheus text format (0.0.4): throws on any line it cannot read. */
function parsePrometheus(text: string): { samples: Sample[]; types: Map<string, string> } {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    let m = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    if (m) {
      if (m[1] === 'TYPE') {
        assert.ok(['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(m[3]!), line);
        types.set(m[2]!, m[3]!);
      }
      continue;
    }
    // Values as Prometheus reads them (Go's ParseFloat: NaN and Inf in any case).
    m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (-?[0-9.e+-]+|[Nn][Aa][Nn]|[+-]?[Ii][Nn][Ff])( \d+)?$/.exec(line);
    assert.ok(m, `not Prometheus text: ${line}`);
    const labels: Record<string, string> = {};
    if (m[3]) {
      const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?/g;
      let consumed = 0;
      for (const l of m[3].matchAll(re)) { labels[l[1]!] = l[2]!; consumed += l[0].length; }
      assert.equal(consumed, m[3].length, `bad labels: ${line}`);
    }
    const raw = m[4]!.toLowerCase();
    samples.push({ name: m[1]!, labels, value: raw === 'nan' ? NaN : raw.endsWith('inf') ? (raw.startsWith('-') ? -Infinity : Infinity) : Number(raw) });
  }
  return { samples, types };
}

async function scrape(n: ClusterNode) {
  const res = await fetch(`http://127.0.0.1:${n.node.services.node.ports.http}/metrics`, { headers: { authorization: AUTH } });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
  return parsePrometheus(await res.text());
}

const value = (samples: Sample[], name: string, labels: Record<string, string>) =>
  samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;

test('/metrics parses as Prometheus text and lists every documented metric', async (t) => {
  const n = await startClusterNode(t, { name: 'm1', clustering: false });
  await n.op({ operation: 'create_table', table: 'reading', primary_key: 'id' });
  await n.op({ operation: 'insert', table: 'reading', records: sensorRows(0, 10) });
  await fetch(`http://127.0.0.1:${n.node.services.node.ports.http}/reading/100`, { method: 'PUT', headers: { authorization: AUTH, 'content-type': 'application/json' }, body: '{"pressure":1}' });
  const { samples, types } = await scrape(n);
  assert.equal(value(samples, 'ferrydb_rows_written_total', { table: 'reading', entry_point: 'operations' }), 10);
  assert.equal(value(samples, 'ferrydb_rows_written_total', { table: 'reading', entry_point: 'rest' }), 1);
  assert.equal(value(samples, 'ferrydb_table_records', { database: 'data', table: 'reading' }), 11);
  assert.equal(value(samples, 'ferrydb_changelog_entries', { database: 'data', table: 'reading' }), 11);
  assert.ok((value(samples, 'ferrydb_request_duration_seconds_count', { entry_point: 'operations', operation: 'insert' }) ?? 0) >= 1);
  assert.ok((value(samples, 'ferrydb_lmdb_map_size_bytes', {}) ?? 0) > 0);
  assert.ok((value(samples, 'process_resident_memory_bytes', {}) ?? 0) > 0);
  assert.ok(value(samples, 'nodejs_eventloop_lag_seconds', {}) !== undefined);
  // docs/metrics.md names every ferrydb_ metric the node exports, and nothing else.
  const { readFileSync } = await import('node:fs');
  const doc = readFileSync(new URL('../../../docs/metrics.md', import.meta.url), 'utf8');
  const documented = new Set([...doc.matchAll(/^\| `(ferrydb_[a-z_]+)` \|/gm)].map((m) => m[1]!));
  const exported = new Set([...types.keys()].filter((k) => k.startsWith('ferrydb_')));
  assert.deepEqual([...exported].filter((k) => !documented.has(k)), [], 'exported but not documented');
  assert.deepEqual([...documented].filter((k) => !exported.has(k)), [], 'documented but not exported');
});

test('/metrics needs super-user credentials unless metrics.requireAuthentication is false', async (t) => {
  const closed = await startTestServer();
  t.after(() => closed.close());
  assert.equal((await fetch(`http://127.0.0.1:${closed.ports.http.port}/metrics`)).status, 401);
  const open = await startTestServer({ METRICS_REQUIREAUTHENTICATION: 'false' });
  t.after(() => open.close());
  const r = await fetch(`http://127.0.0.1:${open.ports.http.port}/metrics`);
  assert.equal(r.status, 200);
  assert.match(await r.text(), /ferrydb_lmdb_map_size_bytes/);
});

test('replication figures in /metrics agree with cluster_status', async (t) => {
  const hq = await startClusterNode(t, { name: 'hq' });
  const edge = await startClusterNode(t, { name: 'edge' });
  await edge.op({ operation: 'create_table', table: 'reading', primary_key: 'id' });
  await edge.op({ operation: 'insert', table: 'reading', records: sensorRows(0, 500) });
  assert.equal((await hq.op({ operation: 'add_node', name: 'edge', host: '127.0.0.1', port: edge.clusteringPort, subscriptions: [{ channel: 'data:reading', subscribe: true, publish: false }] })).status, 200);
  await waitForCount(hq.op, 'data', 'reading', 500);
  await edge.op({ operation: 'insert', table: 'reading', records: sensorRows(500, 300) });
  await waitForCount(hq.op, 'data', 'reading', 800);
  for (const n of [edge, hq]) {
    // Quiet link: both readings must give the same figures.
    await waitFor(async () => {
      const st = (await n.op({ operation: 'cluster_status' })).body;
      const { samples } = await scrape(n);
      const st2 = (await n.op({ operation: 'cluster_status' })).body;
      if (JSON.stringify(strip(st)) !== JSON.stringify(strip(st2))) return false;
      for (const direction of ['outbound', 'inbound'] as const) {
        for (const link of st.status[`${direction}_connections`]) {
          if (value(samples, 'ferrydb_replication_link_up', { peer: link.node_name, direction, state: link.state }) !== (link.state === 'open' ? 1 : 0)) return false;
          for (const sub of link.subscriptions) {
            const l = { peer: link.node_name, direction, channel: sub.channel };
            const pairs: [string, number][] = [
              ['ferrydb_replication_backlog_rows', sub.backlog_rows], ['ferrydb_replication_lag_seconds', sub.lag_ms / 1000],
              ['ferrydb_replication_rows_sent', sub.rows_sent], ['ferrydb_replication_rows_received', sub.rows_received],
              ['ferrydb_replication_bytes_sent', sub.bytes_sent], ['ferrydb_replication_bytes_received', sub.bytes_received],
              ['ferrydb_replication_resyncs', sub.resyncs],
            ];
            for (const [name, expected] of pairs) if (value(samples, name, l) !== expected) return false;
            if (value(samples, 'ferrydb_replication_subscription_state', { ...l, state: sub.state }) !== 1) return false;
          }
        }
      }
      return true;
    }, { timeoutMs: 20_000, what: `${n.name}: /metrics equal to cluster_status` });
  }
  // The figures are real: edge sent rows, hq received them.
  const { samples } = await scrape(hq);
  assert.ok((value(samples, 'ferrydb_replication_rows_received', { peer: 'edge', direction: 'outbound', channel: 'data:reading' }) ?? 0) > 0);
  assert.equal(value(samples, 'ferrydb_replication_reconnects_total', { peer: 'edge', direction: 'outbound' }), 0);
});

/** cluster_status without the figures that move with the clock. */
function strip(st: any): unknown {
  return JSON.parse(JSON.stringify(st, (k, v) => (k === 'last_received_ms_ago' || k === 'next_attempt_in_ms' ? undefined : v)));
}
