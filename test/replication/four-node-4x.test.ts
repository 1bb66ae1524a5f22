/**
 * A HarperDB 4.0-4.3 operator's four-node cluster: each node on its own loopback address
 * (127.0.0.2-5) with the default ports, nodes named and found through routes, 4.x bodies and
 * answers throughout, and cluster_status checked in both shapes after each step.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { test, type TestContext } from 'node:test';
import pino from 'pino';
import { parse as parseYaml } from 'yaml';
import { loadConfig } from '../../src/config/load-config.js';
import { createNode, type FerryNode } from '../../src/server.js';
import { opsClient, type Op } from '../helpers/http-client.js';
import { waitFor } from '../helpers/wait-for.js';

const OPS_PORT = 9925;
const CLUSTER_PORT = 12345;

interface Node4x {
  name: string;
  host: string;
  node: FerryNode;
  op: Op;
  rootPath: string;
  logs: () => string;
}

async function startNode(t: TestContext, name: string, host: string, env: Record<string, string> = {}): Promise<Node4x> {
  const rootPath = mkdtempSync(join(tmpdir(), `ferrydb-4x-${name}-`));
  const config = loadConfig({
    env: {
      ROOTPATH: rootPath, HDB_ADMIN_USERNAME: 'HDB_ADMIN', HDB_ADMIN_PASSWORD: 'admin-pass',
      CLUSTERING_ENABLED: 'true', CLUSTERING_NODENAME: name, CLUSTERING_USER: 'cluster_user', CLUSTERING_PASSWORD: 'cluster-secret', ...env,
    },
    flags: {
      'operationsApi.network.host': host, 'operationsApi.network.port': String(OPS_PORT),
      'clustering.host': host, 'clustering.port': String(CLUSTER_PORT),
      // every port on the node's own address, on its default number (HTTP 9926, MQTT 1883)
      'http.host': host, 'mqtt.network.host': host,
      'localStudio.enabled': 'false', 'logging.file': 'false', 'logging.stdStreams': 'false',
      'clustering.heartbeatMs': '500', 'clustering.reconnect.minMs': '50', 'clustering.reconnect.maxMs': '500',
    },
  });
  let text = '';
  const sink = new Writable({ write(chunk, _enc, cb) { text += chunk.toString(); if (text.length > 2_000_000) text = text.slice(-1_000_000); cb(); } });
  const node = await createNode(config, { logger: pino({ level: 'info' }, sink) });
  t.after(async () => { await node.close(); rmSync(rootPath, { recursive: true, force: true }); });
  await node.listen();
  return { name, host, node, rootPath, op: opsClient(`http://${host}:${OPS_PORT}/`, 'HDB_ADMIN', 'admin-pass'), logs: () => text };
}

async function ok(n: Node4x, body: Record<string, unknown>): Promise<any> {
  const r = await n.op(body);
  assert.equal(r.status, 200, `${n.name} ${String(body.operation)}: ${JSON.stringify(r.body)}`);
  return r.body;
}

async function ids(n: Node4x, database: string, table: string): Promise<unknown[]> {
  const r = await n.op({ operation: 'search_by_value', database, table, search_attribute: 'id', search_value: '*', get_attributes: ['id'] });
  return r.status === 200 ? (r.body as { id: unknown }[]).map((x) => x.id).sort() : [];
}

async function hasRow(n: Node4x, database: string, table: string, id: string): Promise<boolean> {
  return (await ids(n, database, table)).includes(id);
}

/** cluster_status in both shapes: 3.x keys, and one 4.x connection per peer whichever side dialled. */
async function checkStatus(n: Node4x): Promise<{ byName: Map<string, any>; body: any }> {
  const body = await ok(n, { operation: 'cluster_status' });
  assert.equal(body.node_name, n.name);
  assert.equal(body.is_enabled, true);
  assert.ok(Array.isArray(body.status.outbound_connections) && Array.isArray(body.status.inbound_connections), '3.x keys kept');
  assert.ok(Array.isArray(body.connections), '4.x connections list');
  const names3x = new Set([...body.status.outbound_connections, ...body.status.inbound_connections].map((c: any) => c.node_name));
  const names4x = body.connections.map((c: any) => c.node_name);
  assert.deepEqual([...names4x].sort(), [...names3x].sort(), 'one 4.x connection per peer');
  assert.equal(new Set(names4x).size, names4x.length, 'no peer listed twice');
  const byName = new Map<string, any>();
  for (const c of body.connections) {
    assert.ok(c.status === 'open' || c.status === 'closed', `status of ${c.node_name}: ${c.status}`);
    assert.ok('clustering' in c.ports && 'operations_api' in c.ports);
    for (const s of c.subscriptions) {
      assert.equal(typeof s.schema, 'string');
      assert.equal(typeof s.table, 'string');
      assert.equal(typeof s.publish, 'boolean');
      assert.equal(typeof s.subscribe, 'boolean');
    }
    if (c.status === 'open') {
      assert.equal(c.ports.clustering, CLUSTER_PORT, `clustering port of ${c.node_name}`);
      assert.equal(c.ports.operations_api, OPS_PORT, `operations port of ${c.node_name}`);
      assert.equal(typeof c.latency_ms, 'number');
      assert.match(c.uptime, /^\d+d \d+h \d+m \d+s$/);
      assert.equal(c.system_info.platform, process.platform);
    }
    byName.set(c.node_name, c);
  }
  // system.hdb_nodes agrees: every node it lists is a 4.x connection with the same subscriptions
  const nodes = (await ok(n, { operation: 'search_by_value', database: 'system', table: 'hdb_nodes', attribute: 'name', value: '*' })) as any[];
  for (const row of nodes) {
    const c = byName.get(row.name);
    assert.ok(c, `hdb_nodes lists ${row.name}, cluster_status does too`);
    const outbound = c.subscriptions.filter((x: any) => x.link === 'outbound').map((x: any) => [x.schema, x.table, x.publish, x.subscribe]);
    assert.deepEqual(row.subscriptions.map((x: any) => [x.schema, x.table, x.publish, x.subscribe]), outbound);
  }
  return { byName, body };
}

/** checkStatus, retried: the 4.x figures of a new link arrive with the first answer of the peer. */
async function statusOf(n: Node4x): Promise<{ byName: Map<string, any>; body: any }> {
  return waitFor(() => checkStatus(n), { what: `${n.name}: cluster_status in both shapes` });
}

async function waitOpen(n: Node4x, peer: string, what: string, states = ['streaming']): Promise<any> {
  return waitFor(async () => {
    const { byName } = await checkStatus(n);
    const c = byName.get(peer);
    if (c?.status === 'open' && c.subscriptions.every((s: any) => states.includes(s.state) || (!s.publish && !s.subscribe))) return c;
    throw new Error(`${peer}: ${JSON.stringify(c ? { status: c.status, state: c.state, error: c.error, subs: c.subscriptions.map((s: any) => [s.table, s.state]) } : null)}`);
  }, { timeoutMs: 15_000, what });
}

test('four nodes on 127.0.0.2-5 with default ports, driven by 4.x bodies', async (t) => {
  // A has a route to B in its configuration; the others get routes with cluster_set_routes.
  const a = await startNode(t, 'ClstrTestA', '127.0.0.2', { CLUSTERING_HUBSERVER_CLUSTER_NETWORK_ROUTES: `127.0.0.3:${CLUSTER_PORT}` });
  const b = await startNode(t, 'ClstrTestB', '127.0.0.3');
  const c = await startNode(t, 'ClstrTestC', '127.0.0.4');
  const d = await startNode(t, 'ClstrTestD', '127.0.0.5');

  await t.test('routes: set (PATCH, duplicates skipped), get, stored in the config file, deleted', async () => {
    const set = await ok(a, { operation: 'cluster_set_routes', server: 'hub', routes: [{ host: '127.0.0.4', port: CLUSTER_PORT }, { host: '127.0.0.3', port: CLUSTER_PORT }, { host: '127.0.0.9', port: CLUSTER_PORT }] });
    assert.equal(set.message, 'cluster routes successfully set');
    assert.deepEqual(set.set, [{ host: '127.0.0.4', port: CLUSTER_PORT }, { host: '127.0.0.9', port: CLUSTER_PORT }]);
    assert.deepEqual(set.skipped, [{ host: '127.0.0.3', port: CLUSTER_PORT }]);
    const del = await ok(a, { operation: 'cluster_delete_routes', routes: [{ host: '127.0.0.9', port: CLUSTER_PORT }, { host: '127.0.0.8', port: 1 }] });
    assert.equal(del.message, 'cluster routes successfully deleted');
    assert.deepEqual(del.deleted, [{ host: '127.0.0.9', port: CLUSTER_PORT }]);
    assert.deepEqual(del.skipped, [{ host: '127.0.0.8', port: 1 }]);
    const got = await ok(a, { operation: 'cluster_get_routes' });
    assert.deepEqual(got, { hub: [{ host: '127.0.0.3', port: CLUSTER_PORT }, { host: '127.0.0.4', port: CLUSTER_PORT }], leaf: [] });
    const file = parseYaml(readFileSync(join(a.rootPath, 'ferrydb-config.yaml'), 'utf8'));
    assert.deepEqual(file.clustering.hubServer.cluster.network.routes, got.hub, 'routes are stored in the configuration');
    const bad = await a.op({ operation: 'cluster_set_routes', server: 'hub', routes: [{ host: '127.0.0.4' }] });
    assert.equal(bad.status, 400);
    assert.match(bad.body.error, /port/);
    for (const [n, peers] of [[d, ['127.0.0.2', '127.0.0.4']], [b, ['127.0.0.2']], [c, ['127.0.0.2']]] as const) {
      await ok(n, { operation: 'cluster_set_routes', server: 'hub', routes: peers.map((host) => ({ host, port: CLUSTER_PORT })) });
    }
  });

  await t.test('add_node by a name no route answers to: 400 naming the missing route', async () => {
    const r = await a.op({ operation: 'add_node', node_name: 'ClstrTestZ', subscriptions: [{ schema: 'dev', table: 'dog', publish: true, subscribe: false }] });
    assert.equal(r.status, 400);
    assert.match(r.body.error, /Node 'ClstrTestZ' could not be found/);
    assert.match(r.body.error, /127\.0\.0\.3:12345 \(route\): is 'ClstrTestB'/);
    assert.match(r.body.error, /cluster_set_routes/);
  });

  await ok(a, { operation: 'create_schema', schema: 'dev' });
  await ok(a, { operation: 'create_table', schema: 'dev', table: 'dog', hash_attribute: 'id' });
  await ok(a, { operation: 'insert', schema: 'dev', table: 'dog', records: [{ id: 'd1', name: 'Penny' }] });
  await ok(b, { operation: 'create_schema', schema: 'dev' });
  await ok(b, { operation: 'create_table', schema: 'dev', table: 'breed', hash_attribute: 'id' });
  await ok(c, { operation: 'create_table', table: 'cat', hash_attribute: 'id' });

  await t.test('unidirectional: add_node by node_name through a configured route; the table is created where it is missing', async () => {
    const r = await ok(a, { operation: 'add_node', node_name: 'ClstrTestB', subscriptions: [{ schema: 'dev', table: 'dog', publish: true, subscribe: false }] });
    assert.deepEqual(r, { message: "Successfully added 'ClstrTestB' to manifest", added: [{ schema: 'dev', table: 'dog', publish: true, subscribe: false }], skipped: [] });
    const described = await ok(b, { operation: 'describe_table', schema: 'dev', table: 'dog' });
    assert.equal(described.hash_attribute, 'id', 'B has dev.dog as soon as add_node answers');
    const again = await a.op({ operation: 'add_node', node_name: 'ClstrTestB', subscriptions: [{ schema: 'dev', table: 'dog', publish: true, subscribe: false }] });
    assert.deepEqual([again.status, again.body.error], [400, "Node 'ClstrTestB' has already been added, perform update_node to proceed."]);
    await waitFor(() => hasRow(b, 'dev', 'dog', 'd1'), { what: 'initial sync A -> B' });
    const conn = await waitOpen(a, 'ClstrTestB', 'A -> B streaming');
    assert.deepEqual(conn.subscriptions.map((s: any) => [s.schema, s.table, s.publish, s.subscribe]), [['dev', 'dog', true, false]]);
    const fromB = (await waitOpen(b, 'ClstrTestA', 'B sees A')).subscriptions;
    assert.deepEqual(fromB.map((s: any) => [s.schema, s.table, s.publish, s.subscribe]), [['dev', 'dog', false, true]], 'B shows the mirror');
  });

  await t.test('update_node patches per table and creates the table on the side that lacks it; direction respected', async () => {
    const r = await ok(a, { operation: 'update_node', node_name: 'ClstrTestB', subscriptions: [{ database: 'dev', table: 'breed', publish: true, subscribe: true }] });
    assert.equal(r.message, "Successfully updated 'ClstrTestB'");
    assert.equal((await ok(a, { operation: 'describe_table', schema: 'dev', table: 'breed' })).hash_attribute, 'id');
    const conn = await waitOpen(a, 'ClstrTestB', 'A -> B with two tables');
    assert.deepEqual(conn.subscriptions.map((s: any) => s.table).sort(), ['breed', 'dog'], 'the dog subscription is untouched');
    await ok(b, { operation: 'insert', schema: 'dev', table: 'dog', records: [{ id: 'b-dog' }] });
    await ok(b, { operation: 'insert', schema: 'dev', table: 'breed', records: [{ id: 'b-breed' }] });
    await ok(a, { operation: 'insert', schema: 'dev', table: 'dog', records: [{ id: 'd2' }] });
    await waitFor(() => hasRow(a, 'dev', 'breed', 'b-breed'), { what: 'B -> A on the bidirectional table' });
    await waitFor(() => hasRow(b, 'dev', 'dog', 'd2'), { what: 'A -> B on the unidirectional table' });
    assert.equal(await hasRow(a, 'dev', 'dog', 'b-dog'), false, 'A does not subscribe to dev.dog');
  });

  await t.test('the dialled side edits the link with a 4.x update_node (per-table PATCH over the one link)', async () => {
    const r = await ok(b, { operation: 'update_node', node_name: 'ClstrTestA', subscriptions: [{ schema: 'dev', table: 'breed', publish: false, subscribe: true }] });
    assert.equal(r.message, "Successfully updated 'ClstrTestA'");
    await waitFor(async () => {
      const conn = (await statusOf(a)).byName.get('ClstrTestB');
      const breed = conn?.subscriptions.find((x: any) => x.table === 'breed');
      return conn?.status === 'open' && breed && breed.publish === true && breed.subscribe === false && breed.state === 'streaming';
    }, { what: 'A learns the edit over the link' });
    const conn = (await statusOf(a)).byName.get('ClstrTestB');
    assert.deepEqual(conn.subscriptions.map((x: any) => x.table).sort(), ['breed', 'dog'], 'dog untouched by the PATCH');
    await ok(b, { operation: 'insert', schema: 'dev', table: 'breed', records: [{ id: 'b-breed-2' }] });
    await ok(a, { operation: 'insert', schema: 'dev', table: 'breed', records: [{ id: 'a-breed' }] });
    await waitFor(() => hasRow(b, 'dev', 'breed', 'a-breed'), { what: 'A -> B on breed' });
    assert.equal(await hasRow(a, 'dev', 'breed', 'b-breed-2'), false, 'B no longer publishes breed');
    assert.equal((await ok(b, { operation: 'update_node', node_name: 'ClstrTestA', subscriptions: [{ schema: 'dev', table: 'breed', publish: true, subscribe: true }] })).message, "Successfully updated 'ClstrTestA'");
    await waitFor(() => hasRow(a, 'dev', 'breed', 'b-breed-2'), { what: 'B publishes breed again (catch-up)' });
  });

  await t.test("set_node_replication: a subscription without a database means 'data'; bidirectional", async () => {
    const r = await ok(a, { operation: 'set_node_replication', node_name: 'ClstrTestC', subscriptions: [{ table: 'cat', publish: true, subscribe: true }] });
    assert.equal(r.message, "Successfully added 'ClstrTestC' to manifest");
    assert.deepEqual(r.added, [{ schema: 'data', table: 'cat', publish: true, subscribe: true }]);
    assert.equal((await ok(a, { operation: 'describe_table', table: 'cat' })).hash_attribute, 'id', 'A got data.cat from C');
    await ok(a, { operation: 'insert', table: 'cat', records: [{ id: 'a-cat' }] });
    await ok(c, { operation: 'insert', table: 'cat', records: [{ id: 'c-cat' }] });
    await waitFor(async () => (await hasRow(a, 'data', 'cat', 'c-cat')) && (await hasRow(c, 'data', 'cat', 'a-cat')), { what: 'both directions on data.cat' });
    await waitOpen(a, 'ClstrTestC', 'A -> C streaming');
    await waitOpen(c, 'ClstrTestA', 'C sees A');
  });

  await t.test('update_node turns subscribe off and on again with start_time', async () => {
    await ok(a, { operation: 'update_node', node_name: 'ClstrTestC', subscriptions: [{ table: 'cat', publish: true, subscribe: false }] });
    await waitOpen(a, 'ClstrTestC', 'A -> C after update');
    await ok(c, { operation: 'insert', table: 'cat', records: [{ id: 'c-while-off' }] });
    await ok(a, { operation: 'insert', table: 'cat', records: [{ id: 'a-still-on' }] });
    await waitFor(() => hasRow(c, 'data', 'cat', 'a-still-on'), { what: 'A still publishes cat' });
    assert.equal(await hasRow(a, 'data', 'cat', 'c-while-off'), false, 'writes stop while subscribe is off');
    const startTime = new Date(Date.now() + 5).toISOString();
    await waitFor(() => Date.now() > Date.parse(startTime) + 5, { what: 'start_time in the past' });
    await ok(a, { operation: 'update_node', node_name: 'ClstrTestC', subscriptions: [{ table: 'cat', publish: true, subscribe: true, start_time: startTime }] });
    await ok(c, { operation: 'insert', table: 'cat', records: [{ id: 'c-after-on' }] });
    await waitFor(() => hasRow(a, 'data', 'cat', 'c-after-on'), { what: 'writes resume when subscribe is on again' });
    assert.equal(await hasRow(a, 'data', 'cat', 'c-while-off'), false, 'rows older than start_time are not back-sourced');
    const { byName } = await statusOf(a);
    assert.equal(byName.get('ClstrTestC').subscriptions[0].start_time, startTime);
  });

  await t.test('purge_stream drops the backlog, is reported in status, and the peer is resynced, not left behind', async () => {
    await ok(a, { operation: 'update_node', node_name: 'ClstrTestB', subscriptions: [{ schema: 'dev', table: 'dog', publish: false, subscribe: false }] });
    await waitOpen(a, 'ClstrTestB', 'A -> B with dog paused');
    await ok(a, { operation: 'insert', schema: 'dev', table: 'dog', records: [{ id: 'p1' }, { id: 'p2' }, { id: 'p3' }] });
    const r = await ok(a, { operation: 'purge_stream', database: 'dev', table: 'dog' });
    assert.equal(r.message, "Successfully purged table 'dev.dog'");
    assert.ok(r.removed >= 2, `removed ${r.removed}`);
    assert.deepEqual(r.peers_resynced, ['out:ClstrTestB'], 'B had not received the purged entries');
    assert.equal(await hasRow(b, 'dev', 'dog', 'p1'), false);
    const { body } = await statusOf(a);
    assert.equal(body.purges.at(-1).table, 'dog');
    const dog = body.connections.find((x: any) => x.node_name === 'ClstrTestB').subscriptions.find((s: any) => s.table === 'dog');
    assert.equal(dog.last_purge.removed, r.removed, 'the purge shows on the subscription');
    await ok(a, { operation: 'update_node', node_name: 'ClstrTestB', subscriptions: [{ schema: 'dev', table: 'dog', publish: true, subscribe: false }] });
    await waitFor(async () => (await ids(b, 'dev', 'dog')).filter((x) => String(x).startsWith('p')).length === 3, { what: 'B resynced the purged rows' });
    const bad = await a.op({ operation: 'purge_stream', database: 'dev', table: 'nope' });
    assert.deepEqual([bad.status, bad.body.error], [400, "Table 'dev.nope' does not exist"]);
  });

  await t.test('configure_cluster replaces the node list of D (names found through routes)', async () => {
    const r = await ok(d, { operation: 'configure_cluster', connections: [{ node_name: 'ClstrTestA', subscriptions: [{ schema: 'dev', table: 'dog', publish: false, subscribe: true }] }] });
    assert.deepEqual(r, { message: 'Configure cluster complete.', connections: [{ node_name: 'ClstrTestA', response: "Successfully added 'ClstrTestA' to manifest" }] });
    await waitFor(() => hasRow(d, 'dev', 'dog', 'd1'), { what: 'D got dev.dog from A' });
    await waitOpen(d, 'ClstrTestA', 'D -> A');
    const r2 = await ok(d, { operation: 'configure_cluster', connections: [{ node_name: 'ClstrTestC', subscriptions: [{ table: 'cat', publish: false, subscribe: true }] }] });
    assert.equal(r2.message, 'Configure cluster complete.');
    await waitFor(() => hasRow(d, 'data', 'cat', 'c-cat'), { what: 'D got data.cat from C' });
    const { body } = await statusOf(d);
    assert.deepEqual(body.status.outbound_connections.map((x: any) => x.node_name), ['ClstrTestC'], 'A was replaced');
    // four-node relay: a row written on C reaches D directly and A (then nothing loops back)
    await ok(c, { operation: 'insert', table: 'cat', records: [{ id: 'relay' }] });
    await waitFor(async () => (await hasRow(d, 'data', 'cat', 'relay')) && (await hasRow(a, 'data', 'cat', 'relay')), { what: 'C -> A and C -> D' });
    const partial = await ok(d, { operation: 'configure_cluster', connections: [{ node_name: 'ClstrTestC', subscriptions: [{ table: 'cat', publish: false, subscribe: true }] }, { node_name: 'ClstrTestQ', subscriptions: [{ table: 'cat', publish: false, subscribe: true }] }] });
    assert.match(partial.message, /^Configure cluster was partially successful/);
    assert.deepEqual(partial.failed_nodes, ['ClstrTestQ']);
  });

  await t.test('cluster_network lists every reachable node with its links', async () => {
    const r = await waitFor(async () => {
      const body = await ok(a, { operation: 'cluster_network' });
      return body.nodes.find((x: any) => x.name === 'ClstrTestC')?.connected_nodes.includes('ClstrTestD') ? body : null;
    }, { what: 'cluster_network shows the C-D link' });
    const byName = new Map(r.nodes.map((x: any) => [x.name, x]));
    assert.deepEqual([...byName.keys()].sort(), ['ClstrTestA', 'ClstrTestB', 'ClstrTestC', 'ClstrTestD']);
    assert.deepEqual((byName.get('ClstrTestA') as any).connected_nodes, ['ClstrTestB', 'ClstrTestC'], 'D no longer links to A after configure_cluster');
    assert.ok((byName.get('ClstrTestC') as any).connected_nodes.includes('ClstrTestD'));
    assert.ok(Array.isArray((byName.get('ClstrTestD') as any).routes));
    const lean = await ok(a, { operation: 'cluster_network', connected_nodes: false, routes: false });
    assert.deepEqual(Object.keys(lean.nodes[0]).sort(), ['name', 'response_time']);
  });

  await t.test("restart functions 'clustering config' and 'clustering' reconnect without a process restart", async () => {
    const before = a.node.services.node.startedAt;
    await a.node.services.restarters.get('clustering config')!();
    // a quiet table's receiver shows 'subscribing' until the next batch
    await waitOpen(a, 'ClstrTestC', 'A -> C after clustering config restart', ['streaming', 'subscribing']);
    await c.node.services.restarters.get('clustering')!();
    await ok(a, { operation: 'insert', table: 'cat', records: [{ id: 'after-restart' }] });
    await waitFor(() => hasRow(c, 'data', 'cat', 'after-restart'), { what: 'A -> C flows after the restarts' });
    assert.equal(a.node.services.node.startedAt, before);
    assert.match(a.logs(), /clustering restarted: node list reloaded/);
  });

  await t.test('remove_node with a 4.x body answers the 4.x message, from the dialler and from the dialled side', async () => {
    assert.equal((await ok(a, { operation: 'remove_node', node_name: 'ClstrTestC' })).message, "Successfully removed 'ClstrTestC' from manifest");
    const r = await a.op({ operation: 'remove_node', node_name: 'ClstrTestC' });
    assert.deepEqual([r.status, r.body.error], [400, "Node 'ClstrTestC' was not found."]);
    const { body } = await statusOf(a);
    assert.ok(!body.status.outbound_connections.some((x: any) => x.node_name === 'ClstrTestC'));
    // and from the dialled side: B ends the link A dials
    assert.equal((await ok(b, { operation: 'remove_node', node_name: 'ClstrTestA' })).message, "Successfully removed 'ClstrTestA' from manifest");
    await waitFor(async () => (await statusOf(a)).byName.get('ClstrTestB')?.state === 'removed_by_peer', { what: 'A learns B removed it' });
    assert.equal((await statusOf(a)).byName.get('ClstrTestB').status, 'closed');
  });
});
