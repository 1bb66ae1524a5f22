/**
 * Public surface of the sinks subsystem: createSinks() builds it, registers the sink operations
 * and the `sinks` section of system_information; server.ts starts and stops it.
 */
import type { Config } from '../config/load-config.js';
import type { Logger } from '../log/logger.js';
import type { Services } from '../operations/context.js';
import type { OperationRegistry } from '../operations/registry.js';
import { registerSinkOperations } from './operations.js';
import { Sinks } from './sinks.js';

export { Sinks } from './sinks.js';
export type { SinkTarget, TargetFactory } from './target.js';

const byServices = new WeakMap<Services, Sinks>();

export interface CreateSinksOptions {
  services: Services;
  registry: OperationRegistry;
  config: Config;
  logger: Logger;
}

export function createSinks(opts: CreateSinksOptions): Sinks {
  const sinks = new Sinks({ config: opts.config, records: opts.services.records, logger: opts.logger, nodeName: opts.services.node.nodeName });
  registerSinkOperations(opts.registry, sinks);
  opts.services.statusProviders.set('sinks', () => sinks.summary().sinks);
  byServices.set(opts.services, sinks);
  return sinks;
}

/** The sinks of a node (tests and tools). */
export function sinksOf(services: Services): Sinks | undefined {
  return byServices.get(services);
}
