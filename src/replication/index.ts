/**
 * Public surface of the replication subsystem: createReplication() builds it, registers the
 * cluster operations and the system_information provider; server.ts starts and stops it.
 */
import type { Config } from '../config/load-config.js';
import type { Logger } from '../log/logger.js';
import type { OperationRegistry } from '../operations/registry.js';
import type { Services } from '../operations/context.js';
import { registerClusterOperations } from './operations.js';
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
  registerClusterOperations(registry, rep, { host: opts.config.clustering.host, port: opts.config.clustering.port });
  opts.services.statusProviders.set('replication', () => rep.summary());
  opts.services.systemTables.set('hdb_nodes', () => hdbNodes(rep));
  byServices.set(opts.services, rep);
  return rep;
}

/** The replication instance of a node (tests and tools). */
export function replicationOf(services: Services): Replication | undefined {
  return byServices.get(services);
}
