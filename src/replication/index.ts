/**
 * Public surface of the replication subsystem: createReplication() builds it, registers the
 * cluster operations and the system_information provider; server.ts starts and stops it.
 */
import type { Config } from '../config/load-config.js';
import type { Logger } from '../log/logger.js';
import type { OperationRegistry } from '../operations/registry.js';
import type { Services } from '../operations/context.js';
import { handleClusterRequest } from './cluster-http.js';
import { registerCluster4xOperations, registerClusteringRestarters } from './cluster-ops-4x.js';
import { createNodeOps, registerClusterOperations } from './operations.js';
import { PeerDirectory } from './peer-directory.js';
import { PurgeLog } from './purge.js';
import { Replication, type ReplicationOptions } from './replication.js';
import { hdbNodes } from './system-view.js';

export { Replication } from './replication.js';

const byServices = new WeakMap<Services, Replication>();

export interface CreateReplicationOptions extends Omit<ReplicationOptions, 'services' | 'config' | 'logger'> {
  services: Services;
  registry: OperationRegistry;
  config: Config;
  logger: Logger;
}

export function createReplication(opts: CreateReplicationOptions): Replication {
  const { registry, ...rest } = opts;
  const rep = new Replication(rest);
  const directory = new PeerDirectory(rep, opts.services);
  rep.onClusterRequest = (req, res) => handleClusterRequest({ services: opts.services, identity: () => directory.identity() }, req, res);
  const deps = { rep, services: opts.services, directory, clustering: { host: opts.config.clustering.host, port: opts.config.clustering.port } };
  const nodeOps = createNodeOps(deps);
  const purges = new PurgeLog(opts.services);
  registerClusterOperations(registry, deps, nodeOps, () => purges.list());
  registerCluster4xOperations(registry, { rep, services: opts.services, directory, nodeOps, purges });
  registerClusteringRestarters(opts.services, rep, directory);
  opts.services.statusProviders.set('replication', () => rep.summary());
  opts.services.logConsumers.set('replication', (db, table) => { const acked = rep.lowestAcked(db, table); return acked === undefined ? undefined : acked + 1; });
  opts.services.systemTables.set('hdb_nodes', () => hdbNodes(rep));
  byServices.set(opts.services, rep);
  return rep;
}

/** The replication instance of a node (tests and tools). */
export function replicationOf(services: Services): Replication | undefined {
  return byServices.get(services);
}
