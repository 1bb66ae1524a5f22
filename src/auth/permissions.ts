/**
 * The one rule set deciding what a user may do with a table, shared by every entry point
 * (operations API, SQL, REST, MQTT, bulk loads, replication). Pure: (user, target) -> allowed,
 * or a FORBIDDEN DbError carrying HarperDB's 403 body:
 *   {error, unauthorized_access: [{schema, table, required_table_permissions, required_attribute_permissions}],
 *    invalid_schema_items: ["Table 'db.t' does not exist", "Attribute 'a' does not exist on 'db.t'"]}
 *
 * HarperDB's rules: super users may do everything; a table not listed (or with every flag
 * false) does not exist for the role; a missing flag is false; when attribute_permissions is
 * non-empty, unlisted attributes have no access, except the primary key (and the read-only
 * time stamps) which inherit any access granted to another attribute; an attribute with no
 * access at all does not exist for the role. Compiled rules are cached per role document.
 */
import { DbError } from '../errors/db-error.js';
import type { Permission, TablePermission } from './role-validation.js';
import type { User } from './users.js';

export type TableAction = 'read' | 'insert' | 'update' | 'delete';

export const FORBIDDEN_MESSAGE = 'This operation is not authorized due to role restrictions and/or invalid database items';
const TIME_ATTRIBUTES = new Set(['__createdtime__', '__updatedtime__']);

interface AttrFlags { read: boolean; insert: boolean; update: boolean }
interface TableRule extends AttrFlags {
  delete: boolean;
  /** null: every attribute follows the table flags. */
  attrs: Map<string, AttrFlags> | null;
  /** Union of the listed attributes' flags (what the primary key inherits). */
  any: AttrFlags;
  /** Memo of readableAttributes (per primary key name). */
  readable?: { pk: string | undefined; set: ReadonlySet<string> };
}
interface Compiled {
  superUser: boolean;
  structure: true | ReadonlySet<string>;
  /** database -> table -> rule (nested: no key strings built per request). */
  tables: Map<string, Map<string, TableRule>>;
  databases: Set<string>;
}

const compiledByPermission = new WeakMap<object, Compiled>();
const ruleOf = (c: Compiled, db: string, table: string): TableRule | undefined => c.tables.get(db)?.get(table);

function compile(permission: Permission): Compiled {
  let c = compiledByPermission.get(permission);
  if (c) return c;
  const su = permission.super_user === true;
  const s = permission.structure_user;
  c = { superUser: su, structure: s === true ? true : new Set(Array.isArray(s) ? s : []), tables: new Map(), databases: new Set() };
  for (const [db, value] of Object.entries(permission)) {
    if (db === 'super_user' || db === 'cluster_user' || db === 'structure_user') continue;
    const tables = (value as { tables?: Record<string, TablePermission> } | null)?.tables;
    if (!tables || typeof tables !== 'object') continue;
    for (const [t, tp] of Object.entries(tables)) {
      const rule: TableRule = { read: tp.read === true, insert: tp.insert === true, update: tp.update === true, delete: tp.delete === true, attrs: null, any: { read: false, insert: false, update: false } };
      if (Array.isArray(tp.attribute_permissions) && tp.attribute_permissions.length) {
        rule.attrs = new Map();
        for (const a of tp.attribute_permissions) {
          const f = { read: a.read === true && rule.read, insert: a.insert === true && rule.insert, update: a.update === true && rule.update };
          rule.attrs.set(a.attribute_name, f);
          rule.any.read ||= f.read; rule.any.insert ||= f.insert; rule.any.update ||= f.update;
        }
      }
      if (rule.read || rule.insert || rule.update || rule.delete) {
        let byTable = c.tables.get(db);
        if (!byTable) c.tables.set(db, (byTable = new Map()));
        byTable.set(t, rule);
        c.databases.add(db);
      }
    }
  }
  compiledByPermission.set(permission, c);
  return c;
}

export function isSuperUser(user: User): boolean {
  return user.role.permission.super_user === true;
}

export function isClusterUser(user: User): boolean {
  return user.role.permission.cluster_user === true;
}

/** Super users, and structure users for `database` (structure_user true, or a list naming it); no database: structure_user true. */
export function isStructureUser(user: User, database?: string): boolean {
  const c = compile(user.role.permission);
  if (c.superUser || c.structure === true) return true;
  return database !== undefined && c.structure.has(database);
}

function attrFlags(user: User, rule: TableRule, db: string, table: string, attribute: string): AttrFlags {
  if (!rule.attrs) {
    if (TIME_ATTRIBUTES.has(attribute)) return { read: rule.read, insert: false, update: false };
    return rule;
  }
  const listed = rule.attrs.get(attribute);
  if (listed) return listed;
  if (TIME_ATTRIBUTES.has(attribute)) return { read: rule.any.read, insert: false, update: false };
  if (user.schema?.primaryKey(db, table) === attribute) return rule.any;
  return { read: false, insert: false, update: false };
}

/** Collects every problem of one or more table accesses, then throws HarperDB's 403 once. */
export class AccessCheck {
  readonly unauthorized: Record<string, unknown>[] = [];
  readonly invalid: string[] = [];

  /** Adds the problems (if any) of `action` on `database.table` and on `attributes`. */
  table(user: User, database: string, table: string, action: TableAction, attributes?: Iterable<string>): this {
    const c = compile(user.role.permission);
    if (c.superUser) return this;
    const rule = ruleOf(c, database, table);
    if (!rule) { this.#invalid(`Table '${database}.${table}' does not exist`); return this; }
    const requiredTable = rule[action] ? [] : [action];
    const requiredAttrs: { attribute_name: string; required_permissions: string[] }[] = [];
    if (attributes && action !== 'delete') {
      // The primary key of an updated record names the record; it is not itself updated.
      const pk = action === 'update' ? user.schema?.primaryKey(database, table) : undefined;
      for (const a of attributes) {
        if (a === pk) continue;
        const f = attrFlags(user, rule, database, table, a);
        if (!f.read && !f.insert && !f.update && !TIME_ATTRIBUTES.has(a)) this.#invalid(`Attribute '${a}' does not exist on '${database}.${table}'`);
        else if (!f[action] && !requiredAttrs.some((r) => r.attribute_name === a)) requiredAttrs.push({ attribute_name: a, required_permissions: [action] });
      }
    }
    if (requiredTable.length || requiredAttrs.length) {
      const existing = this.unauthorized.find((u) => u.schema === database && u.table === table) as { required_table_permissions: string[]; required_attribute_permissions: unknown[] } | undefined;
      if (existing) {
        for (const p of requiredTable) if (!existing.required_table_permissions.includes(p)) existing.required_table_permissions.push(p);
        existing.required_attribute_permissions.push(...requiredAttrs);
      } else this.unauthorized.push({ schema: database, table, required_table_permissions: requiredTable, required_attribute_permissions: requiredAttrs });
    }
    return this;
  }

  /** A reason that is not about a table (e.g. a super-user-only operation). */
  reason(message: string): this {
    this.unauthorized.push(message as unknown as Record<string, unknown>);
    return this;
  }

  get ok(): boolean {
    return this.unauthorized.length === 0 && this.invalid.length === 0;
  }

  error(): DbError {
    return new DbError('FORBIDDEN', FORBIDDEN_MESSAGE, { body: { unauthorized_access: this.unauthorized, invalid_schema_items: this.invalid } });
  }

  assert(): void {
    if (!this.ok) throw this.error();
  }

  #invalid(item: string): void {
    if (!this.invalid.includes(item)) this.invalid.push(item);
  }
}

/** Allocation-free hot path: may the user perform `action` on the table (table flags only)? */
export function tableAllowed(user: User, database: string, table: string, action: TableAction): boolean {
  const c = compile(user.role.permission);
  return c.superUser || ruleOf(c, database, table)?.[action] === true;
}

/** Throws 403 unless the user may perform `action` on `database.table` (and on `attributes`, when given). */
export function assertTableAccess(user: User, database: string, table: string, action: TableAction, attributes?: Iterable<string>): void {
  if (isSuperUser(user)) return;
  if (attributes === undefined && tableAllowed(user, database, table, action)) return;
  new AccessCheck().table(user, database, table, action, attributes).assert();
}

/** The attributes of `database.table` the user may read; null means every attribute. Throws 403 without table read. */
export function readableAttributes(user: User, database: string, table: string): ReadonlySet<string> | null {
  const c = compile(user.role.permission);
  if (c.superUser) return null;
  const rule = ruleOf(c, database, table);
  if (!rule || !rule.read) { assertTableAccess(user, database, table, 'read'); return null; }
  if (!rule.attrs) return null;
  const pk = rule.any.read ? user.schema?.primaryKey(database, table) : undefined;
  if (rule.readable && rule.readable.pk === pk) return rule.readable.set;
  const out = new Set<string>();
  for (const [name, f] of rule.attrs) if (f.read) out.add(name);
  if (rule.any.read) {
    for (const t of TIME_ATTRIBUTES) out.add(t);
    if (pk !== undefined) out.add(pk);
  }
  rule.readable = { pk, set: out };
  return out;
}

/** Throws 403 with one plain reason (HarperDB's wording for operation-level refusals). */
export function forbidden(reason: string): DbError {
  return new AccessCheck().reason(reason).error();
}

/** Whether describe_* shows the database (any table permission in it, or structure rights over it). */
export function canSeeDatabase(user: User, database: string): boolean {
  const c = compile(user.role.permission);
  return c.superUser || c.structure === true || c.structure.has(database) || c.databases.has(database);
}

/** Whether describe_* shows the table. */
export function canSeeTable(user: User, database: string, table: string): boolean {
  const c = compile(user.role.permission);
  return c.superUser || c.structure === true || c.structure.has(database) || ruleOf(c, database, table) !== undefined;
}

/** The attributes describe_* shows for a visible table: those with any access (all for super and structure users). */
export function visibleAttributes(user: User, database: string, table: string, all: readonly string[]): string[] {
  const c = compile(user.role.permission);
  const rule = ruleOf(c, database, table);
  if (c.superUser || !rule || !rule.attrs) return [...all];
  return all.filter((a) => { const f = attrFlags(user, rule, database, table, a); return f.read || f.insert || f.update; });
}

/** A super user that exists only in memory, for the node's own internal work (metrics, anonymous MQTT when allowed). */
export function internalSuperUser(username: string): User {
  return { username, role: { id: `internal:${username}`, role: 'super_user', permission: { super_user: true }, __createdtime__: 0, __updatedtime__: 0 }, active: true };
}
