/**
 * Pure validation of add_role / alter_role bodies with HarperDB's rules and messages, and the
 * normalised permission document that is stored. Errors come back the way HarperDB sends them:
 * 400 {error: 'Errors in the role permissions JSON provided', main_permissions: [...],
 * schema_permissions: {'<db>_<table>': [...]}}.
 *
 * Deliberate choices (documented in docs/security.md): a missing table or attribute CRUD flag
 * means false (HarperDB's documented rule), and a missing attribute_permissions means none.
 */
import { DbError } from '../errors/db-error.js';

export interface AttributePermission {
  attribute_name: string;
  read: boolean;
  insert: boolean;
  update: boolean;
}

export interface TablePermission {
  read: boolean;
  insert: boolean;
  update: boolean;
  delete: boolean;
  attribute_permissions: AttributePermission[];
}

/** HarperDB's role permission document. */
export interface Permission {
  super_user?: boolean;
  cluster_user?: boolean;
  structure_user?: boolean | string[];
  [database: string]: unknown;
}

/** What validation needs to know about the schema (auth sits below the catalog). */
export interface SchemaView {
  hasDatabase(database: string): boolean;
  /** Attribute names of a table, or undefined when it does not exist. */
  tableAttributes(database: string, table: string): readonly string[] | undefined;
  /** The table's primary key attribute, or undefined when it does not exist. */
  primaryKey(database: string, table: string): string | undefined;
}

export const ROLE_PERMS_ERROR = 'Errors in the role permissions JSON provided';
const ROLE_TYPES = ['super_user', 'cluster_user'] as const;
const CRUD = ['read', 'insert', 'update', 'delete'] as const;
const CRU = ['read', 'insert', 'update'] as const;
const TABLE_KEYS = new Set<string>([...CRUD, 'attribute_permissions']);
const ATTR_KEYS = new Set<string>(['attribute_name', ...CRU, 'delete']);
const ALLOWED_BODY_KEYS = new Set(['operation', 'role', 'id', 'permission', 'hdb_user', 'access']);
const NAME_RE = /^[\w-]+$/;
const TIME_ATTRIBUTES = new Set(['__createdtime__', '__updatedtime__']);
export const TIMESTAMP_PERMS_ERROR = "Internal timestamp attributes - '__createdtime_' and '__updatedtime__' - cannot be inserted to or updated by HDB users.";

class Errors {
  readonly main: string[] = [];
  readonly schema: Record<string, string[]> = {};
  add(msg: string, db?: string, table?: string): void {
    if (!db) { this.main.push(msg); return; }
    const key = table ? `${db}_${table}` : db;
    (this.schema[key] ??= []).push(msg);
  }
  throwIfAny(): void {
    if (this.main.length || Object.keys(this.schema).length) {
      throw new DbError('VALIDATION_FAILED', ROLE_PERMS_ERROR, { body: { main_permissions: this.main, schema_permissions: this.schema } });
    }
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Validates an add_role (`requireRole`) or alter_role (`requireId`) body and returns the
 * normalised permission to store; throws HarperDB's 400 body listing every problem.
 */
export function validateRoleBody(body: Record<string, unknown>, mode: 'add' | 'alter', schema: SchemaView): Permission {
  const errors = new Errors();
  const badKeys = Object.keys(body).filter((k) => !ALLOWED_BODY_KEYS.has(k));
  if (badKeys.length) errors.add(`Invalid ${badKeys.length > 1 ? 'keys' : 'key'} in JSON body - '${badKeys.join("', '")}'`);
  if (mode === 'add') {
    if (body.role === undefined || body.role === null || body.role === '') errors.add("Role can't be blank");
    else if (typeof body.role !== 'string' || !NAME_RE.test(body.role)) errors.add('Role is invalid');
  } else {
    if (body.id === undefined || body.id === null || body.id === '') errors.add("Id can't be blank");
    else if (typeof body.id !== 'string' || !NAME_RE.test(body.id)) errors.add('Id is invalid');
    if (body.role !== undefined && (typeof body.role !== 'string' || !NAME_RE.test(body.role))) errors.add('Role is invalid');
  }
  const permission = body.permission;
  if (permission === undefined || permission === null) {
    errors.add("Permission can't be blank");
    errors.throwIfAny();
  }
  if (!isObject(permission)) {
    errors.add('Permission must be an object');
    errors.throwIfAny();
    throw new Error('unreachable');
  }
  const out: Permission = {};
  for (const type of ROLE_TYPES) {
    const v = permission[type];
    if (v === undefined) continue;
    if (typeof v !== 'boolean') errors.add(`Value for '${type}' permission must be a boolean`);
    else out[type] = v;
  }
  const su = permission.super_user === true, cu = permission.cluster_user === true;
  // Keys that grant something besides the role type itself (false flags grant nothing).
  const extra = (self: string) => Object.entries(permission).some(([k, v]) => k !== self && v !== false);
  if (su && cu) errors.add("Roles cannot have both 'super_user' and 'cluster_user' values included in their permissions set.");
  else if (su && extra('super_user')) errors.add("Roles with 'super_user' set to true cannot have other permissions set.");
  else if (cu && extra('cluster_user')) errors.add("Roles with 'cluster_user' set to true cannot have other permissions set.");

  for (const [key, value] of Object.entries(permission)) {
    if ((ROLE_TYPES as readonly string[]).includes(key)) continue;
    if (key === 'structure_user') {
      if (typeof value === 'boolean') out.structure_user = value;
      else if (Array.isArray(value) && value.every((d) => typeof d === 'string')) {
        for (const d of value as string[]) if (!schema.hasDatabase(d)) errors.add(`database '${d}' does not exist`);
        out.structure_user = [...(value as string[])];
      } else errors.add(`Value for 'structure_user' permission must be a boolean or Array`);
      continue;
    }
    if (!key || !schema.hasDatabase(key)) { errors.add(`database '${key}' does not exist`); continue; }
    if (!isObject(value)) { errors.add(`Permission for database '${key}' must be an object {"tables": {...}}`, key); continue; }
    const tables = value.tables;
    if (tables === undefined || tables === null) { out[key] = { tables: {} }; continue; }
    if (!isObject(tables)) { errors.add(`Value for 'tables' must be an object`, key); continue; }
    const outTables: Record<string, TablePermission> = {};
    for (const [t, raw] of Object.entries(tables)) {
      const attrs = schema.tableAttributes(key, t);
      if (!attrs) { errors.add(`Table '${key}.${t}' does not exist`); continue; }
      const tp = validateTable(key, t, raw, attrs, errors);
      if (tp) outTables[t] = tp;
    }
    out[key] = { tables: outTables };
  }
  errors.throwIfAny();
  return out;
}

function validateTable(db: string, t: string, raw: unknown, attrs: readonly string[], errors: Errors): TablePermission | null {
  if (!isObject(raw)) { errors.add(`Table permissions for '${db}.${t}' must be an object`, db, t); return null; }
  for (const k of Object.keys(raw)) if (!TABLE_KEYS.has(k)) errors.add(`Invalid table permission key value '${k}'`, db, t);
  const tp: TablePermission = { read: false, insert: false, update: false, delete: false, attribute_permissions: [] };
  for (const p of CRUD) {
    const v = raw[p];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'boolean') errors.add(`Table ${p.toUpperCase()} permission must be a boolean`, db, t);
    else tp[p] = v;
  }
  const ap = raw.attribute_permissions;
  if (ap === undefined || ap === null) return tp;
  if (!Array.isArray(ap)) { errors.add(`Value for 'attribute_permissions' must be an array`, db, t); return tp; }
  const granted = { read: false, insert: false, update: false };
  const known = new Set(attrs);
  for (const entry of ap as unknown[]) {
    if (!isObject(entry)) { errors.add(`Permission object in 'attribute_permission' missing an 'attribute_name'`, db, t); continue; }
    for (const k of Object.keys(entry)) if (!ATTR_KEYS.has(k)) errors.add(`Invalid attribute permission key value '${k}'`, db, t);
    const name = entry.attribute_name;
    if (typeof name !== 'string' || !name) { errors.add(`Permission object in 'attribute_permission' missing an 'attribute_name'`, db, t); continue; }
    if (!known.has(name)) { errors.add(`Invalid attribute '${name}' in 'attribute_permissions'`, db, t); continue; }
    const a: AttributePermission = { attribute_name: name, read: false, insert: false, update: false };
    for (const p of CRU) {
      const v = entry[p];
      if (v === undefined || v === null) continue;
      if (typeof v !== 'boolean') errors.add(`${p.toUpperCase()} attribute permission for '${name}' must be a boolean`, db, t);
      else a[p] = v;
    }
    if (TIME_ATTRIBUTES.has(name) && (a.insert || a.update)) errors.add(TIMESTAMP_PERMS_ERROR, db, t);
    for (const p of CRU) if (a[p]) granted[p] = true;
    tp.attribute_permissions.push(a);
  }
  if ((!tp.read && granted.read) || (!tp.insert && granted.insert) || (!tp.update && granted.update)) {
    errors.add(`You have a conflict with TABLE permissions for '${db}.${t}' being false and ATTRIBUTE permissions being true`, db, t);
  }
  return tp;
}
