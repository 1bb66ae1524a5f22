/** The operations API surface: the registry with every core operation registered. */
import { registerBulkOperations } from './handlers/bulk.js';
import { registerLogOperations } from './handlers/logs.js';
import { registerSchemaOperations } from './handlers/schema.js';
import { registerSearchOperations } from './handlers/search.js';
import { systemDatabase } from './handlers/system-database.js';
import { registerSystemOperations } from './handlers/system.js';
import { registerTokenOperations } from './handlers/tokens.js';
import { registerUserOperations } from './handlers/users.js';
import { registerWriteOperations } from './handlers/writes.js';
import { OperationRegistry } from './registry.js';

export { OperationRegistry } from './registry.js';
export { Jobs } from './jobs.js';
export { schemaView } from './handlers/users.js';
export type { OperationContext, Services, NodeInfo, Body, Handler } from './context.js';

/** A registry holding FerryDB's core operations (subsystems add theirs). */
export function createCoreRegistry(): OperationRegistry {
  const r = new OperationRegistry();
  registerSchemaOperations(r);
  registerWriteOperations(r);
  registerSearchOperations(r);
  registerLogOperations(r);
  registerSystemOperations(r);
  registerBulkOperations(r);
  registerUserOperations(r);
  registerTokenOperations(r);
  r.systemDatabase = systemDatabase;
  return r;
}
