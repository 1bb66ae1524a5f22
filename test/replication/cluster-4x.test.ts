import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadConfig } from '../../src/config/load-config.js';
import { readConfig } from '../../src/config/read-sources.js';
import { isBody4x, patchSubscriptions, parseSubscriptions } from '../../src/replication/peers.js';
import { parsePurgeOptions } from '../../src/replication/purge.js';
import { RouteTable } from '../../src/replication/routes.js';
import { sourceAddress } from '../../src/replication/source-address.js';
import { formatUptime } from '../../src/replication/status-4x.js';
import { startClusterNode, waitForCount } from './helpers/cluster.js';
import { waitFor } from '../helpers/wait-for.js';

test('route settings accept HarperDB 4.0-4.3 {host, port} lists and 4.4+ replication.routes forms', () => {
  const fromFile = loadConfig({ file: { clustering: { hubServer: { cluster: { network: { routes: [{ host: '10.0.0.2', port: 9932 }, { host: '10.0.0.2', port: 9932 }] } } } }, replication: { routes: ['server-two', 'wss://server-three:9933', { hostname: 'server-four', port: 9934 }] } } });
  assert.deepEqual(fromFile.clustering.hubServer.cluster.network.routes, [{ host: '10.0.0.2', port: 9932 }], 'duplicates dropped');
  assert.deepEqual(fromFile.replication.routes, [{ host: 'server-two', port: null }, { host: 'server-three', port: 9933 }, { host: 'server-four', port: 9934 }]);
  const fromEnv = loadConfig({ env: { CLUSTERING_HUBSERVER_CLUSTER_NETWORK_ROUTES: '127.0.0.3:12345, 127.0.0.4:12345', REPLICATION_ROUTES: '[{"host":"h","port":"7"}]' } });
  assert.deepEqual(fromEnv.clustering.hubServer.cluster.network.routes, [{ host: '127.0.0.3', port: 12345 }, { host: '127.0.0.4', port: 12345 }]);
  assert.deepEqual(fromEnv.replication.routes, [{ host: 'h', port: 7 }]);
  assert.deepEqual(loadConfig().clustering.leafServer.network.routes, []);
  assert.throws(() => loadConfig({ env: { CLUSTERING_HUBSERVER_CLUSTER_NETWORK_ROUTES: 'a:99999' } }), /CLUSTERING_HUBSERVER_CLUSTER_NETWORK_ROUTES: route port must be an integer between 1 and 65535/);
  assert.throws(() => loadConfig({ file: { replication: { routes: [{ port: 1 }] } } }), /replication\.routes.*route host must be a host name/);
});

test('cluster_set_routes changes are written to the config file (comments kept) and read back on restart', () => {
  const root = mkdtempSync(join(tmpdir(), 'ferrydb-routes-'));
  try {
    const file = join(root, 'ferrydb-config.yaml');
    writeFileSync(file, '# my settings\nlogging:\n  level: warn # quiet\n');
    const table = new RouteTable(loadConfig(), file);
    assert.deepEqual(table.set('hub', [{ host: '10.0.0.2', port: 9932 }, { host: '10.0.0.3', port: 9932 }]), { set: [{ host: '10.0.0.2', port: 9932 }, { host: '10.0.0.3', port: 9932 }], skipped: [] });
    assert.deepEqual(table.set('hub', [{ host: '10.0.0.3', port: 9932 }]).skipped, [{ host: '10.0.0.3', port: 9932 }]);
    table.set('leaf', [{ host: '10.0.0.4', port: 9931 }]);
    assert.deepEqual(table.delete([{ host: '10.0.0.2', port: 9932 }, { host: '10.0.0.9', port: 1 }]), { deleted: [{ host: '10.0.0.2', port: 9932 }], skipped: [{ host: '10.0.0.9', port: 1 }] });
    const text = readFileSync(file, 'utf8');
    assert.match(text, /# my settings/);
    assert.match(text, /level: warn # quiet/);
    const again = readConfig({ ROOTPATH: root }, {});
    assert.deepEqual(again.clustering.hubServer.cluster.network.routes, [{ host: '10.0.0.3', port: 9932 }]);
    assert.deepEqual(again.clustering.leafServer.network.routes, [{ host: '10.0.0.4', port: 9931 }]);
    assert.equal(again.logging.level, 'warn');
    assert.deepEqual(new RouteTable(again, null).addresses(12345), [{ host: '10.0.0.3', port: 9932 }, { host: '10.0.0.4', port: 9931 }]);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('the dialler connects from its own clustering address only where that can route', () => {
  assert.deepEqual(sourceAddress('127.0.0.2', '127.0.0.3'), { localAddress: '127.0.0.2' });
  assert.deepEqual(sourceAddress('10.0.0.5', '10.0.0.6'), { localAddress: '10.0.0.5' });
  assert.deepEqual(sourceAddress('127.0.0.1', '203.0.113.7'), {}, 'a loopback-only edge still dials out');
  assert.deepEqual(sourceAddress('0.0.0.0', '10.0.0.6'), {});
  assert.deepEqual(sourceAddress('127.0.0.2', 'localhost'), {}, 'a host name may resolve to another family');
  assert.deepEqual(sourceAddress('127.0.0.2', '::1'), {});
});

test('4.x bodies: dialect detection, default database, per-table PATCH, helpers', () => {
  assert.equal(isBody4x({ node_name: 'x', subscriptions: [{ schema: 'dev', table: 'dog', publish: true, subscribe: false }] }), true);
  assert.equal(isBody4x({ node_name: 'x' }), true);
  assert.equal(isBody4x({ name: 'x', subscriptions: [{ schema: 'dev', table: 'dog', publish: true, subscribe: false }] }), false, "'name' is 3.x");
  assert.equal(isBody4x({ node_name: 'x', subscriptions: [{ channel: 'dev:dog', publish: true, subscribe: false }] }), false, "'channel' is 3.x");
  assert.deepEqual(parseSubscriptions([{ table: 'dog', publish: true, subscribe: false }]), [{ database: 'data', table: 'dog', publish: true, subscribe: false }]);
  assert.throws(() => parseSubscriptions([{ publish: true, subscribe: false }]), /subscription 0: 'channel' \(or 'table', with 'database' or 'schema'\) is required/);
  const existing = parseSubscriptions([{ schema: 'dev', table: 'dog', publish: true, subscribe: false }, { schema: 'dev', table: 'cat', publish: true, subscribe: true }]);
  const merged = patchSubscriptions(existing, parseSubscriptions([{ schema: 'dev', table: 'cat', publish: false, subscribe: true }, { schema: 'dev', table: 'owl', publish: true, subscribe: true }]));
  assert.deepEqual(merged.map((s) => [s.table, s.publish, s.subscribe]), [['dog', true, false], ['cat', false, true], ['owl', true, true]]);
  assert.equal(formatUptime(((30 * 24 + 1) * 3600 + 18 * 60 + 8) * 1000 + 999), '30d 1h 18m 8s');
  assert.equal(formatUptime(4000), '0d 0h 0m 4s');
  assert.deepEqual(parsePurgeOptions({ keep: 10 }), { keep: 10 });
  assert.throws(() => parsePurgeOptions({ seq: -1 }), /'options.seq' must be a non-negative integer/);
  assert.throws(() => parsePurgeOptions([]), /'options' must be an object/);
});

function get(port: number, path: string, authorization?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false, headers: authorization ? { authorization } : {} }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => { body += d.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('the identity endpoint needs cluster credentials and never shows secrets; 4.x validation answers', async (t) => {
  const n = await startClusterNode(t, { name: 'solo4x', clusterPassword: 'very-secret-cluster-pw' });
  assert.equal((await get(n.clusteringPort, '/ferrydb/cluster/identity')).status, 401);
  assert.equal((await get(n.clusteringPort, '/ferrydb/cluster/identity', `Basic ${Buffer.from('cluster_user:wrong').toString('base64')}`)).status, 401);
  const okr = await get(n.clusteringPort, '/ferrydb/cluster/identity', `Basic ${Buffer.from('cluster_user:very-secret-cluster-pw').toString('base64')}`);
  assert.equal(okr.status, 200);
  const identity = JSON.parse(okr.body);
  assert.equal(identity.node_name, 'solo4x');
  assert.deepEqual(identity.ports, { clustering: n.clusteringPort, operations_api: n.node.services.node.ports.operations });
  assert.doesNotMatch(okr.body, /very-secret-cluster-pw/);
  assert.equal((await get(n.clusteringPort, '/elsewhere')).status, 404);

  const bad = async (body: Record<string, unknown>, msg: string) => {
    const r = await n.op(body);
    assert.deepEqual([r.status, r.body.error], [400, msg]);
  };
  await bad({ operation: 'add_node', node_name: 'other', subscriptions: [{ schema: 'a', table: 'b', publish: false, subscribe: false }] }, "'subscriptions[0]' subscribe and/or publish must be set to true when adding a node");
  await bad({ operation: 'add_node', node_name: 'solo4x', subscriptions: [{ schema: 'a', table: 'b', publish: true, subscribe: false }] }, "'node_name' cannot be this nodes name");
  const missing = await n.op({ operation: 'add_node', node_name: 'nowhere', subscriptions: [{ schema: 'a', table: 'b', publish: true, subscribe: false }] });
  assert.equal(missing.status, 400);
  assert.match(missing.body.error, /^Node 'nowhere' could not be found: no cluster route or known peer answers as 'nowhere' \(tried: none are configured\)/);
  await bad({ operation: 'configure_cluster' }, "'connections' must be an array of {node_name, subscriptions} (FerryDB does not support the 3.x configure_cluster form that sets configuration keys; use set_configuration)");
  await bad({ operation: 'cluster_set_routes', server: 'middle', routes: [{ host: 'h', port: 1 }] }, "'server' must be 'hub' or 'leaf'");
  await bad({ operation: 'cluster_delete_routes', routes: [] }, "'routes' must be a non-empty array of {host, port}");
  await bad({ operation: 'cluster_network', timeout: 'soon' }, "'timeout' must be a number of milliseconds between 1 and 60000");
  // a 3.x node list entry in configure_cluster still answers 3.x
  const r = await n.op({ operation: 'configure_cluster', connections: [{ name: 'far', host: '10.255.255.1', port: 1, subscriptions: [{ channel: 'a:b', publish: true, subscribe: false }] }] });
  assert.deepEqual(r.body, { message: 'Configure cluster complete.', connections: [{ node_name: 'far', response: 'successfully added far to manifest' }] });
});

test("a node added by name that moved is found again through the routes on restart 'clustering config'", async (t) => {
  const a = await startClusterNode(t, { name: 'alpha4x' });
  const root = mkdtempSync(join(tmpdir(), 'ferrydb-moved-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  let b = await startClusterNode(t, { name: 'beta4x', rootPath: root });
  await b.op({ operation: 'create_table', table: 'readings', hash_attribute: 'id' });
  await b.op({ operation: 'insert', table: 'readings', records: [{ id: 1 }] });
  const oldRoute = { host: '127.0.0.1', port: b.clusteringPort };
  await a.op({ operation: 'cluster_set_routes', server: 'hub', routes: [oldRoute] });
  const added = await a.op({ operation: 'add_node', node_name: 'beta4x', subscriptions: [{ table: 'readings', publish: false, subscribe: true }] });
  assert.equal(added.status, 200, JSON.stringify(added.body));
  await waitForCount(a.op, 'data', 'readings', 1);
  await b.stop();
  b = await startClusterNode(t, { name: 'beta4x', rootPath: root });
  assert.notEqual(b.clusteringPort, oldRoute.port);
  await a.op({ operation: 'cluster_delete_routes', routes: [oldRoute] });
  await a.op({ operation: 'cluster_set_routes', server: 'hub', routes: [{ host: '127.0.0.1', port: b.clusteringPort }] });
  await a.node.services.restarters.get('clustering config')!();
  await b.op({ operation: 'insert', table: 'readings', records: [{ id: 2 }] });
  await waitForCount(a.op, 'data', 'readings', 2);
  const st = await waitFor(async () => (await a.op({ operation: 'cluster_status' })).body.status.outbound_connections.find((c: any) => c.state === 'open'), { what: 'open link' });
  assert.equal(st.host_port, b.clusteringPort);
});
