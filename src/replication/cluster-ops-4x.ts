/**
 * HarperDB 4.0-4.3 cluster operations that have no 3.x counterpart: configure_cluster,
 * cluster_network, cluster_set_routes / cluster_get_routes / cluster_delete_routes and
 * purge_stream, plus the restart functions restart_service looks up ('clustering',
 * 'clustering config'). Thin: parsing and HarperDB's answers here, the work in routes.ts,
 * peer-directory.ts, purge.ts and the Replication class.
 */
import { invalid } from '../errors/db-error.js';
import type { Body, Services } from '../operations/context.js';
import type { OperationRegistry } from '../operations/registry.js';
import type { Identity } from './cluster-http.js';
import type { NodeOps } from './operations.js';
import type { PeerDirectory } from './peer-directory.js';
import { parseNodeName } from './peers.js';
import { parsePurgeOptions, type PurgeLog } from './purge.js';
import type { Replication } from './replication.js';
import { parseRouteList, type RouteServer } from './routes.js';

export interface Cluster4xDeps {
  rep: Replication;
  services: Services;
  directory: PeerDirectory;
  nodeOps: NodeOps;
  purges: PurgeLog;
}

function requireString(body: Body, field: string): string {
  const v = body[field];
  if (typeof v !== 'string' || !v) throw invalid(`'${field}' is required`);
  return v;
}

/** configure_cluster: the listed connections replace every existing one. */
async function configureCluster(deps: Cluster4xDeps, body: Body): Promise<unknown> {
  const { rep, nodeOps, services } = deps;
  const list = body.connections;
  if (!Array.isArray(list)) throw invalid(`'connections' must be an array of {node_name, subscriptions} (FerryDB does not support the 3.x configure_cluster form that sets configuration keys; use set_configuration)`);
  const names: string[] = [];
  list.forEach((c: unknown, i) => {
    if (!c || typeof c !== 'object' || Array.isArray(c)) throw invalid(`connections[${i}] must be an object`);
    const conn = c as Body;
    const name = parseNodeName(conn);
    if (!Array.isArray(conn.subscriptions)) throw invalid(`connections[${i}]: 'subscriptions' must be an array`);
    if (names.includes(name)) throw invalid(`connections[${i}]: node '${name}' is listed twice`);
    names.push(name);
  });
  // Every link not listed goes, whichever side dialled it.
  const inbound = ((rep.status() as { status?: { inbound_connections: { node_name: string }[] } }).status?.inbound_connections ?? []).map((c) => c.node_name);
  for (const name of new Set([...rep.peers.list().map((n) => n.name), ...inbound])) if (!names.includes(name)) await rep.removeNode(name);
  const connections: { node_name: string; response: unknown }[] = [];
  const failed: string[] = [];
  for (const c of list as Body[]) {
    const name = parseNodeName(c);
    try {
      const r = rep.peers.get(name) || rep.isDialledBy(name) ? await nodeOps.update(c, { replace: true }) : await nodeOps.add(c);
      connections.push({ node_name: name, response: typeof r === 'string' ? r : (r as { message?: unknown }).message });
    } catch (err) {
      services.logger.warn({ peer: name, err: (err as Error).message }, 'configure_cluster could not configure a node');
      failed.push(name);
      connections.push({ node_name: name, response: (err as Error).message });
    }
  }
  if (!failed.length) return { message: 'Configure cluster complete.', connections };
  return {
    message: failed.length === list.length && list.length > 0 ? 'Failed to configure the cluster. Check the logs for more details.'
      : 'Configure cluster was partially successful. Errors occurred when attempting to configure the following nodes. Check the logs for more details.',
    failed_nodes: failed, connections,
  };
}

/** cluster_network: every node reachable from here, each with the links it reports. */
async function clusterNetwork(deps: Cluster4xDeps, body: Body): Promise<unknown> {
  const { directory } = deps;
  const timeout = body.timeout === undefined ? 2000 : Number(body.timeout);
  if (!Number.isFinite(timeout) || timeout < 1 || timeout > 60_000) throw invalid(`'timeout' must be a number of milliseconds between 1 and 60000`);
  for (const k of ['connected_nodes', 'routes'] as const) if (body[k] !== undefined && typeof body[k] !== 'boolean') throw invalid(`'${k}' must be a boolean`);
  const showConnected = body.connected_nodes !== false, showRoutes = body.routes !== false;
  const self = directory.identity();
  const found = new Map<string, { identity: Identity; ms: number }>([[self.node_name, { identity: self, ms: 0 }]]);
  const queue: { host: string; port: number }[] = [...directory.candidates(), ...self.peers];
  const asked = new Set<string>();
  // Walk the network breadth-first through every node's routes and manifest (bounded).
  while (queue.length && asked.size < 256) {
    const batch = queue.splice(0, 16).filter((a) => !asked.has(`${a.host}:${a.port}`));
    for (const a of batch) asked.add(`${a.host}:${a.port}`);
    const answers = await Promise.all(batch.map((a) => directory.probe({ host: a.host, port: a.port }, timeout)));
    for (const r of answers) {
      if (!r.ok || found.has(r.body.node_name)) continue;
      found.set(r.body.node_name, { identity: r.body, ms: r.ms });
      for (const next of [...(r.body.routes ?? []), ...(r.body.peers ?? [])]) {
        if (next.port !== null) queue.push({ host: next.host, port: next.port });
      }
    }
  }
  const nodes = [...found.values()].map(({ identity, ms }) => ({
    name: identity.node_name, response_time: ms,
    ...(showConnected ? { connected_nodes: identity.connected_nodes } : {}),
    ...(showRoutes ? { routes: identity.routes } : {}),
  }));
  return { nodes };
}

function routeServer(v: unknown): RouteServer {
  if (v === undefined) return 'hub';
  if (v !== 'hub' && v !== 'leaf') throw invalid(`'server' must be 'hub' or 'leaf'`);
  return v;
}

/** Registers the 4.x operations. */
export function registerCluster4xOperations(registry: OperationRegistry, deps: Cluster4xDeps): void {
  const { rep, purges } = deps;
  registry.register({ name: 'configure_cluster', superUserOnly: true, handler: (body) => configureCluster(deps, body) });
  registry.register({ name: 'cluster_network', superUserOnly: true, handler: (body) => clusterNetwork(deps, body) });
  registry.register({
    name: 'cluster_set_routes', superUserOnly: true,
    handler: (body) => {
      const server = routeServer(body.server);
      const { set, skipped } = rep.routes.set(server, parseRouteList(body.routes, true));
      return { message: 'cluster routes successfully set', set, skipped };
    },
  });
  registry.register({
    name: 'cluster_get_routes', superUserOnly: true,
    handler: () => {
      const replication = rep.routes.list('replication');
      return { hub: rep.routes.list('hub'), leaf: rep.routes.list('leaf'), ...(replication.length ? { replication } : {}) };
    },
  });
  registry.register({
    name: 'cluster_delete_routes', superUserOnly: true,
    handler: (body) => {
      const { deleted, skipped } = rep.routes.delete(parseRouteList(body.routes, false));
      return { message: 'cluster routes successfully deleted', deleted, skipped };
    },
  });
  registry.register({
    name: 'purge_stream', superUserOnly: true,
    handler: async (body) => {
      const database = typeof body.database === 'string' || typeof body.schema === 'string' ? String(body.database ?? body.schema) : 'data';
      const table = requireString(body, 'table');
      const record = await purges.purge(rep, database, table, parsePurgeOptions(body.options));
      return { message: `Successfully purged table '${database}.${table}'`, removed: record.removed, through: record.through, peers_resynced: record.peers_resynced };
    },
  });
}

/** Nodes added by name are looked up again through the current routes; moved ones get their new address. */
async function relocateNodesAddedByName(rep: Replication, directory: PeerDirectory, services: Services): Promise<void> {
  for (const node of rep.peers.list()) {
    if (!node.byName) continue;
    const found = await directory.find(node.name, { fresh: true });
    if (!found.ok) { services.logger.warn({ peer: node.name }, 'clustering restart: no route answers for a node added by name; keeping its last address'); continue; }
    const { host, port } = found.address;
    if (host === node.host && port === node.port) continue;
    services.logger.info({ peer: node.name, from: `${node.host}:${node.port}`, to: `${host}:${port}` }, 'clustering restart: node found at a new address');
    await rep.peers.put({ ...node, host, port });
  }
}

/** The restart functions restart_service calls for 'clustering' and 'clustering config'. */
export function registerClusteringRestarters(services: Services, rep: Replication, directory: PeerDirectory): void {
  services.restarters.set('clustering', async () => { await relocateNodesAddedByName(rep, directory, services); await rep.reconnectAll(true); });
  services.restarters.set('clustering config', async () => { await relocateNodesAddedByName(rep, directory, services); await rep.reconnectAll(false); });
}
