/** What every operation handler receives: the caller and the node's services. */
import type { Config } from '../config/load-config.js';
import type { Catalog } from '../catalog/catalog.js';
import type { ChangeLog } from '../changelog/changelog.js';
import type { Logger } from '../log/logger.js';
import type { Records } from '../records/records.js';
import type { User, Users } from '../auth/users.js';
import type { Jobs } from './jobs.js';

export interface NodeInfo {
  nodeName: string;
  version: string;
  startedAt: number;
  /** Directory holding the log files (null when file logging is off). */
  logDir: string | null;
  /** Ports actually bound (after port 0 resolution). */
  ports: { operations: number; http: number | null; clustering: number | null };
}

export interface Services {
  config: Config;
  records: Records;
  catalog: Catalog;
  changelog: ChangeLog;
  users: Users;
  jobs: Jobs;
  logger: Logger;
  node: NodeInfo;
  /** Extra figures for system_information (e.g. replication), filled by other subsystems. */
  statusProviders: Map<string, () => unknown>;
  /** Services `restart_service` can restart in place, by HarperDB service name; filled by subsystems. */
  restarters: Map<string, () => Promise<void>>;
  /** Extra read-only tables of the `system` database (e.g. hdb_nodes from replication), by table name. */
  systemTables: Map<string, () => Record<string, unknown>[]>;
}

export interface OperationContext extends Services {
  user: User;
  /** The client's address, for operations that authenticate themselves (create_authentication_tokens). */
  remoteAddress?: string;
}

export type Body = Record<string, unknown>;
export type Handler = (body: Body, ctx: OperationContext) => unknown;
