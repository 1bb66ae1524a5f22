/**
 * The single table of operations: wire name -> handler and permission. Subsystems register
 * their own operations at composition time (replication adds the cluster operations).
 * Dispatch stays synchronous when the handler is, so point reads never await.
 */
import { isSuperUser } from '../auth/users.js';
import { DbError } from '../errors/db-error.js';
import { catalogueEntry } from './catalogue.js';
import type { Body, Handler, OperationContext } from './context.js';

/** HarperDB's "not found" for unknown names; a 400 that says so for HarperDB operations FerryDB lacks. */
function unknownOperation(name: unknown): DbError {
  const entry = typeof name === 'string' ? catalogueEntry(name) : undefined;
  if (entry) return new DbError('VALIDATION_FAILED', `Operation '${entry.name}' is not supported: ${entry.unsupported ?? 'FerryDB does not implement this HarperDB operation yet'}`);
  return new DbError('UNKNOWN_OPERATION', `Operation '${String(name)}' not found`);
}

export interface OperationDef {
  name: string;
  handler: Handler;
  /** Only super users may call it (HarperDB's restricted operations). */
  superUserOnly: boolean;
  /** Any authenticated user may call it (user_info). */
  anyUser?: boolean;
}

export class OperationRegistry {
  readonly #ops = new Map<string, OperationDef>();

  register(def: OperationDef, ...aliases: string[]): void {
    for (const name of [def.name, ...aliases]) {
      if (this.#ops.has(name)) throw new Error(`operation '${name}' registered twice`);
      this.#ops.set(name, def);
    }
  }

  has(name: string): boolean {
    return this.#ops.has(name);
  }

  names(): string[] {
    return [...this.#ops.keys()].sort();
  }

  /** Runs an operation for an authenticated user; returns the value or a promise of it. */
  dispatch(body: Body, ctx: OperationContext): unknown {
    const name = body.operation;
    if (name === undefined || name === null || name === '') throw new DbError('VALIDATION_FAILED', `Request body must include an 'operation' property.`);
    const def = typeof name === 'string' ? this.#ops.get(name) : undefined;
    if (!def) throw unknownOperation(name);
    if (!def.anyUser && !isSuperUser(ctx.user)) {
      const reason = def.superUserOnly
        ? `Operation '${def.name}' is restricted to 'super_user' roles`
        : `Operation '${def.name}' is not permitted for role '${ctx.user.role.role}'`;
      throw new DbError('FORBIDDEN', 'This operation is not authorized due to role restrictions and/or invalid database items', {
        body: { unauthorized_access: [reason], invalid_schema_items: [] },
      });
    }
    return def.handler(body, ctx);
  }
}
