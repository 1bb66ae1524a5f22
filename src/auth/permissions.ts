/**
 * The one rule set deciding what a user may do with a table, shared by every entry point
 * (operations API, SQL, REST, MQTT, bulk loads, replication). Pure: (user, target) -> allowed,
 * or a FORBIDDEN DbError carrying HarperDB's 403 body.
 *
 * Today only super users pass; table- and attribute-level roles replace this rule (issue 9)
 * without changing the signatures below.
 */
import { DbError } from '../errors/db-error.js';
import { isSuperUser, type User } from './users.js';

export type TableAction = 'read' | 'insert' | 'update' | 'delete';

const FORBIDDEN_MESSAGE = 'This operation is not authorized due to role restrictions and/or invalid database items';

/** Throws 403 unless the user may perform `action` on `database.table` (and on `attributes`, when given). */
export function assertTableAccess(user: User, database: string, table: string, action: TableAction, attributes?: Iterable<string>): void {
  void attributes;
  if (isSuperUser(user)) return;
  throw new DbError('FORBIDDEN', FORBIDDEN_MESSAGE, {
    body: { unauthorized_access: [`This user does not have ${action} access to '${database}.${table}'`], invalid_schema_items: [] },
  });
}

/** The attributes of `database.table` the user may read; null means every attribute. */
export function readableAttributes(user: User, database: string, table: string): ReadonlySet<string> | null {
  assertTableAccess(user, database, table, 'read');
  return null;
}
