/**
 * The single table of operations: wire name -> handler and what the caller needs (see
 * access.ts). Subsystems register their own operations at composition time (replication adds
 * the cluster operations). Dispatch checks the access rule before the handler runs, routes the
 * read-only `system` database to its views, and stays synchronous when the handler is, so
 * point reads never await.
 */
import { forbidden, isStructureUser, isSuperUser, tableAllowed, AccessCheck, type TableAction } from '../auth/permissions.js';
import { DbError } from '../errors/db-error.js';
import { CORE_ACCESS, type Access } from './access.js';
import type { Body, Handler, OperationContext } from './context.js';

export type { Access } from './access.js';

export interface OperationDef {
  name: string;
  handler: Handler;
  /** Only super users may call it (HarperDB's restricted operations); used when `access` is not declared. */
  superUserOnly: boolean;
  /** Any authenticated user may call it (user_info); same as access 'any'. */
  anyUser?: boolean;
  /** What the caller needs; defaults to the core table (access.ts), then to superUserOnly. */
  access?: Access;
}

/** Operations answered by the `system` database's read-only views. */
const SYSTEM_READS = new Set(['search_by_hash', 'search_by_id', 'search_by_value', 'search_by_conditions', 'describe_table', 'describe_schema', 'describe_database']);
export const SYSTEM_WRITE_REFUSED = "The 'system' database, tables and records are used internally by FerryDB and cannot be updated or removed.";

export class OperationRegistry {
  readonly #ops = new Map<string, OperationDef & { rule: Access }>();
  /** Answers reads of the `system` database (set by the composition root). */
  systemDatabase: Handler | null = null;

  register(def: OperationDef, ...aliases: string[]): void {
    for (const name of [def.name, ...aliases]) {
      if (this.#ops.has(name)) throw new Error(`operation '${name}' registered twice`);
      const rule: Access = def.access ?? CORE_ACCESS[name] ?? CORE_ACCESS[def.name] ?? (def.anyUser ? 'any' : def.superUserOnly ? 'super' : 'any');
      this.#ops.set(name, { ...def, rule });
    }
  }

  /** Registers an operation, replacing one of the same name if present (the users module owns user_info/list_users wherever else they were registered first). */
  override(def: OperationDef): void {
    this.#ops.delete(def.name);
    this.register(def);
  }

  has(name: string): boolean {
    return this.#ops.has(name);
  }

  names(): string[] {
    return [...this.#ops.keys()].sort();
  }

  /** The access rule of an operation (undefined when unknown). */
  accessOf(name: string): Access | undefined {
    return this.#ops.get(name)?.rule;
  }

  /** True for operations that run without authentication (create_authentication_tokens). */
  isPublic(name: unknown): boolean {
    return typeof name === 'string' && this.#ops.get(name)?.rule === 'public';
  }

  /** Runs an operation for an authenticated user; returns the value or a promise of it. */
  dispatch(body: Body, ctx: OperationContext): unknown {
    const name = body.operation;
    if (name === undefined || name === null || name === '') throw new DbError('VALIDATION_FAILED', `Request body must include an 'operation' property.`);
    const def = typeof name === 'string' ? this.#ops.get(name) : undefined;
    if (!def) throw new DbError('UNKNOWN_OPERATION', `Operation '${String(name)}' not found`);
    const rule = def.rule;
    if ((body.database ?? body.schema) === 'system' && (SYSTEM_READS.has(def.name) || (typeof rule === 'object' && !def.name.startsWith('create_')))) {
      return this.#system(def.name, body, ctx);
    }
    if (rule !== 'public' && rule !== 'any' && !isSuperUser(ctx.user)) authorize(def.name, rule, body, ctx);
    return def.handler(body, ctx);
  }

  #system(name: string, body: Body, ctx: OperationContext): unknown {
    if (!SYSTEM_READS.has(name) || !this.systemDatabase) throw forbidden(SYSTEM_WRITE_REFUSED);
    if (!isSuperUser(ctx.user)) throw forbidden(`Operation '${name}' is restricted to 'super_user' roles`);
    return this.systemDatabase(body, ctx);
  }
}

function authorize(name: string, rule: Access, body: Body, ctx: OperationContext): void {
  if (rule === 'super') throw forbidden(`Operation '${name}' is restricted to 'super_user' roles`);
  const named = body.database ?? body.schema;
  const database = typeof named === 'string' && named !== '' ? named : 'data';
  if (typeof rule === 'object' && 'structure' in rule) {
    if (!isStructureUser(ctx.user, rule.structure === 'table' ? database : undefined)) throw forbidden(`Operation '${name}' is restricted to 'super_user' roles`);
    return;
  }
  if (typeof rule === 'object' && 'table' in rule) {
    const table = body.table;
    if (typeof table !== 'string' || table === '') return; // the handler answers the 400
    if (typeof rule.table === 'string' && rule.table !== 'upsert' && rule.table !== 'load' && tableAllowed(ctx.user, database, table, rule.table)) return;
    if (rule.table === 'insert' && name === 'create_attribute' && isStructureUser(ctx.user, database)) return;
    const check = new AccessCheck();
    for (const action of actionsOf(rule.table, body)) check.table(ctx.user, database, table, action);
    check.assert();
  }
}

function actionsOf(rule: TableAction | 'upsert' | 'load', body: Body): TableAction[] {
  if (rule === 'upsert') return ['insert', 'update'];
  if (rule !== 'load') return [rule];
  const action = body.action ?? 'insert';
  return action === 'upsert' ? ['insert', 'update'] : action === 'update' ? ['update'] : ['insert'];
}
