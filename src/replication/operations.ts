/**
 * The cluster operations (HarperDB 3.x names and messages, 4.x body shapes accepted):
 * add_node, update_node, set_node_replication, remove_node, cluster_status. They exist whether
 * or not clustering is enabled; with clustering off, nodes are recorded and take effect once
 * it is turned on. Responses never contain credentials.
 */
import { DbError, invalid } from '../errors/db-error.js';
import type { OperationRegistry } from '../operations/registry.js';
import type { Body } from '../operations/context.js';
import { parseHost, parseNodeName, parsePort, parseSubscriptions, type NodeRecord } from './peers.js';
import type { Replication } from './replication.js';

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '0.0.0.0', '::', '[::1]']);

function isSelf(rep: Replication, configHost: string, configPort: number, name: string, host: string, port: number): boolean {
  if (name === rep.nodeName) return true;
  const ownPort = rep.port ?? configPort;
  const sameHost = host === configHost || (LOCAL_HOSTS.has(host) && (LOCAL_HOSTS.has(configHost) || configHost === host));
  return sameHost && port === ownPort;
}

/** Registers the cluster operations on the node's registry. */
export function registerClusterOperations(registry: OperationRegistry, rep: Replication, clustering: { host: string; port: number }): void {
  const add = async (body: Body): Promise<string> => {
    const name = parseNodeName(body);
    const host = parseHost(body.host);
    const port = parsePort(body.port);
    const subscriptions = parseSubscriptions(body.subscriptions);
    if (isSelf(rep, clustering.host, clustering.port, name, host, port)) throw invalid('Cannot add a node that matches the hosts clustering config.');
    // One link per pair: when the peer already dials this node, the subscriptions join that link.
    if (rep.isDialledBy(name)) {
      await rep.editInbound(name, subscriptions, 'merge');
      return `successfully added ${name} to manifest (merged into the existing link that ${name} dials)`;
    }
    if (rep.peers.get(name) && !rep.peers.get(name)!.removedByPeer) throw invalid(`Node '${name}' has already been added. Operation aborted.`);
    await rep.addNode({ name, host, port, subscriptions, addedTime: Date.now() });
    return `successfully added ${name} to manifest`;
  };

  const update = async (body: Body): Promise<string> => {
    const name = parseNodeName(body);
    const existing = rep.peers.get(name);
    if (!existing && rep.isDialledBy(name)) {
      // Edited on the dialled side: the dialler learns the new list over the link.
      if (body.subscriptions === undefined) throw invalid(`'subscriptions' is required to edit the link that ${name} dials`);
      await rep.editInbound(name, parseSubscriptions(body.subscriptions), 'replace');
      return `successfully updated ${name}`;
    }
    if (!existing) throw invalid(`Node '${name}' does not exist. Operation aborted.`);
    const host = body.host === undefined ? existing.host : parseHost(body.host);
    const port = body.port === undefined ? existing.port : parsePort(body.port);
    const subscriptions = body.subscriptions === undefined ? existing.subscriptions : parseSubscriptions(body.subscriptions);
    if (isSelf(rep, clustering.host, clustering.port, name, host, port)) throw invalid('Cannot add a node that matches the hosts clustering config.');
    const node: NodeRecord = { ...existing, host, port, subscriptions };
    await rep.updateNode(node);
    return `successfully updated ${name}`;
  };

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
      return `successfully removed ${name} from manifest`;
    },
  });
  registry.register({ name: 'cluster_status', superUserOnly: true, handler: () => rep.status() });
}
