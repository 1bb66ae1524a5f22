/**
 * The cluster operations add_node, update_node, set_node_replication, remove_node and
 * cluster_status, in both dialects. A 3.x body ({name, host, port, subscriptions:[{channel}]})
 * gets HarperDB 3.x's answers; a 4.x body ({node_name, subscriptions:[{schema|database, table}]})
 * gets 4.x's: the node may be named without an address (found through the cluster routes or
 * known peers), the subscribed tables are created on the side that lacks them, update_node
 * patches per table, and the messages are 4.x's. One link per pair: on the node a peer
 * already dials, add_node / update_node edit that link. They exist whether or not clustering
 * is enabled; with clustering off, nodes are recorded and take effect once it is turned on.
 * Responses never contain credentials.
 */
import { DbError, invalid } from '../errors/db-error.js';
import type { OperationRegistry } from '../operations/registry.js';
import type { Body, Services } from '../operations/context.js';
import { notFoundMessage, type Address, type PeerDirectory } from './peer-directory.js';
import { isBody4x, parseHost, parseNodeName, parsePort, parseSubscriptions, patchSubscriptions, toSubscription4x, type NodeRecord, type Subscription } from './peers.js';
import type { Replication } from './replication.js';
import { clusterStatus, type PurgeRecord } from './status-4x.js';
import { createMissingTables } from './tables-4x.js';

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '0.0.0.0', '::', '[::1]']);

function isSelf(rep: Replication, configHost: string, configPort: number, name: string, host: string, port: number): boolean {
  if (name === rep.nodeName) return true;
  const ownPort = rep.port ?? configPort;
  const sameHost = host === configHost || (LOCAL_HOSTS.has(host) && (LOCAL_HOSTS.has(configHost) || configHost === host));
  return sameHost && port === ownPort;
}

const hasAddress = (body: Body) => !(body.host === undefined || body.host === null || body.host === '');

export interface ClusterOpsDeps {
  rep: Replication;
  services: Services;
  directory: PeerDirectory;
  clustering: { host: string; port: number };
}

export interface NodeOps {
  add(body: Body): Promise<unknown>;
  /** `replace`: the body's subscriptions replace the node's list even for a 4.x body (configure_cluster). */
  update(body: Body, opts?: { replace?: boolean }): Promise<unknown>;
}

/** add_node / update_node logic, shared with configure_cluster. */
export function createNodeOps(deps: ClusterOpsDeps): NodeOps {
  const { rep, services, directory, clustering } = deps;

  /** 4.x: create the subscribed tables on whichever side lacks them (best effort: a peer that cannot be reached is not an error). */
  const reviewTables = async (name: string, address: Address | null, subs: Subscription[]) => {
    if (!subs.length) return;
    let peer = address;
    if (!peer) {
      const found = await directory.find(name);
      if (!found.ok) { services.logger.info({ peer: name }, 'could not find the peer to ask which subscribed tables it has; missing tables are created when rows arrive'); return; }
      peer = found.address;
    }
    const review = await createMissingTables(services, rep, peer, subs);
    if (review.peerError) services.logger.info({ peer: name, error: review.peerError }, 'could not ask the peer which subscribed tables it has; missing tables are created when rows arrive');
    else if (review.createdHere.length || review.createdThere.length) services.logger.info({ peer: name, createdHere: review.createdHere, createdThere: review.createdThere }, 'created subscribed tables missing on one side');
  };

  const added4x = (name: string, subscriptions: Subscription[]) =>
    // FerryDB keeps subscriptions to tables neither side has yet (3.x behaviour), so none is skipped.
    ({ message: `Successfully added '${name}' to manifest`, added: subscriptions.map(toSubscription4x), skipped: [] });

  const add = async (body: Body): Promise<unknown> => {
    const v4 = isBody4x(body);
    const name = parseNodeName(body);
    const byName = v4 && !hasAddress(body);
    let host = '', port = 0;
    if (!byName) {
      host = parseHost(body.host);
      port = parsePort(body.port);
    }
    const subscriptions = parseSubscriptions(body.subscriptions);
    if (v4 && name === rep.nodeName) throw invalid(`'node_name' cannot be this nodes name`);
    if (v4 && body.operation === 'add_node') {
      const idle = subscriptions.findIndex((s) => !s.publish && !s.subscribe);
      if (idle >= 0) throw invalid(`'subscriptions[${idle}]' subscribe and/or publish must be set to true when adding a node`);
    }
    if (!byName && isSelf(rep, clustering.host, clustering.port, name, host, port)) throw invalid('Cannot add a node that matches the hosts clustering config.');
    // One link per pair: when the peer already dials this node, the subscriptions join that link.
    if (rep.isDialledBy(name)) {
      if (v4) await reviewTables(name, null, subscriptions);
      await rep.editInbound(name, subscriptions, 'merge');
      return v4 ? added4x(name, subscriptions) : `successfully added ${name} to manifest (merged into the existing link that ${name} dials)`;
    }
    const known = rep.peers.get(name);
    if (known && !known.removedByPeer) throw invalid(v4 ? `Node '${name}' has already been added, perform update_node to proceed.` : `Node '${name}' has already been added. Operation aborted.`);
    if (byName) {
      const found = await directory.find(name);
      if (!found.ok) throw invalid(notFoundMessage(name, found.tried));
      ({ host, port } = found.address);
      if (isSelf(rep, clustering.host, clustering.port, name, host, port)) throw invalid('Cannot add a node that matches the hosts clustering config.');
    }
    if (v4) await reviewTables(name, { host, port }, subscriptions);
    await rep.addNode({ name, host, port, subscriptions, addedTime: Date.now(), ...(byName ? { byName: true } : {}) });
    return v4 ? added4x(name, subscriptions) : `successfully added ${name} to manifest`;
  };

  const update = async (body: Body, opts: { replace?: boolean } = {}): Promise<unknown> => {
    const v4 = isBody4x(body);
    const name = parseNodeName(body);
    const existing = rep.peers.get(name);
    const patch = v4 && !opts.replace;
    if (!existing && rep.isDialledBy(name)) {
      // Edited on the dialled side: the dialler learns the new list over the link.
      if (body.subscriptions === undefined) throw invalid(`'subscriptions' is required to edit the link that ${name} dials`);
      const changes = parseSubscriptions(body.subscriptions);
      if (v4) await reviewTables(name, null, changes);
      await rep.editInbound(name, patch ? patchSubscriptions(rep.inboundSubscriptions(name) ?? [], changes) : changes, 'replace');
      return v4 ? `Successfully updated '${name}'` : `successfully updated ${name}`;
    }
    if (!existing) throw invalid(`Node '${name}' does not exist. Operation aborted.`);
    const host = body.host === undefined ? existing.host : parseHost(body.host);
    const port = body.port === undefined ? existing.port : parsePort(body.port);
    const changes = body.subscriptions === undefined ? [] : parseSubscriptions(body.subscriptions);
    const subscriptions = body.subscriptions === undefined ? existing.subscriptions : patch ? patchSubscriptions(existing.subscriptions, changes) : changes;
    if (isSelf(rep, clustering.host, clustering.port, name, host, port)) throw invalid('Cannot add a node that matches the hosts clustering config.');
    if (v4) {
      await reviewTables(name, { host, port }, changes);
      // A new start_time asks for the table again from that time: forget this side's cursor
      // so the stream restarts with an initial sync of the rows written since then.
      const restart = changes.filter((c) => c.startTime !== undefined && existing.subscriptions.find((s) => s.database === c.database && s.table === c.table)?.startTime !== c.startTime);
      if (restart.length) await rep.cursors.forgetLink(`out:${name}`, (db, table) => !restart.some((c) => c.database === db && c.table === table));
    }
    const node: NodeRecord = { ...existing, host, port, subscriptions };
    await rep.updateNode(node);
    return v4 ? `Successfully updated '${name}'` : `successfully updated ${name}`;
  };
  return { add, update };
}

/** Registers the cluster operations on the node's registry. */
export function registerClusterOperations(registry: OperationRegistry, deps: ClusterOpsDeps, ops: NodeOps, purges: () => PurgeRecord[]): void {
  const { rep, directory } = deps;
  const { add, update } = ops;
  registry.register({ name: 'add_node', superUserOnly: true, handler: (body) => add(body) });
  registry.register({ name: 'update_node', superUserOnly: true, handler: (body) => update(body) });
  registry.register({
    name: 'set_node_replication', superUserOnly: true,
    handler: (body) => (rep.peers.get(parseNodeName(body)) || rep.isDialledBy(parseNodeName(body)) ? update(body) : add(body)),
  });
  registry.register({
    name: 'remove_node', superUserOnly: true,
    handler: async (body) => {
      const name = parseNodeName(body);
      if (!(await rep.removeNode(name))) throw new DbError('VALIDATION_FAILED', `Node '${name}' was not found.`);
      return isBody4x(body) ? `Successfully removed '${name}' from manifest` : `successfully removed ${name} from manifest`;
    },
  });
  registry.register({ name: 'cluster_status', superUserOnly: true, handler: () => clusterStatus(rep, directory, purges) });
}
