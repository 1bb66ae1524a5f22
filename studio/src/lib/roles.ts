/**
 * Users & Roles page logic, pure: the permission table of a role (one row per database.table,
 * read/insert/update/delete checkboxes), turning edited rows back into HarperDB's permission
 * document (attribute permissions kept as they were), and the role kinds the page shows.
 */

import type { DescribeAll } from './api.js';

export const CRUD = ['read', 'insert', 'update', 'delete'] as const;
export type Crud = (typeof CRUD)[number];

export interface RoleRecord {
  id: string;
  role: string;
  permission: Record<string, unknown>;
  __updatedtime__?: number;
}

export interface UserRecord {
  username: string;
  active: boolean;
  role: RoleRecord | null;
}

export interface PermissionRow {
  database: string;
  table: string;
  read: boolean;
  insert: boolean;
  update: boolean;
  delete: boolean;
  /** The role's attribute_permissions for this table (not edited here, kept on save). */
  attributePermissions: unknown[];
}

export type RoleKind = 'super_user' | 'cluster_user' | 'standard';

export function roleKind(role: RoleRecord): RoleKind {
  if (role.permission.super_user === true) return 'super_user';
  if (role.permission.cluster_user === true) return 'cluster_user';
  return 'standard';
}

type TablePerm = Partial<Record<Crud, boolean>> & { attribute_permissions?: unknown[] };

function tablesOf(permission: Record<string, unknown>, database: string): Record<string, TablePerm> {
  const db = permission[database] as { tables?: Record<string, TablePerm> } | undefined;
  return db && typeof db === 'object' && db.tables && typeof db.tables === 'object' ? db.tables : {};
}

/** Every table of the node (and every table the role names) as one row, sorted. */
export function permissionRows(role: RoleRecord, schema: DescribeAll): PermissionRow[] {
  const keys = new Map<string, [string, string]>();
  for (const [db, tables] of Object.entries(schema)) for (const t of Object.keys(tables)) keys.set(`${db}.${t}`, [db, t]);
  for (const [db, v] of Object.entries(role.permission)) {
    if (db === 'super_user' || db === 'cluster_user' || db === 'structure_user' || !v || typeof v !== 'object') continue;
    for (const t of Object.keys(tablesOf(role.permission, db))) keys.set(`${db}.${t}`, [db, t]);
  }
  return [...keys.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, [database, table]]) => {
    const p = tablesOf(role.permission, database)[table] ?? {};
    return {
      database, table,
      read: p.read === true, insert: p.insert === true, update: p.update === true, delete: p.delete === true,
      attributePermissions: Array.isArray(p.attribute_permissions) ? p.attribute_permissions : [],
    };
  });
}

/** The permission document for alter_role/add_role: structure_user kept, tables with no flag left out. */
export function permissionFromRows(rows: readonly PermissionRow[], structureUser: unknown = undefined): Record<string, unknown> {
  const out: Record<string, unknown> = { super_user: false };
  if (structureUser === true || Array.isArray(structureUser)) out.structure_user = structureUser;
  for (const r of rows) {
    if (!r.read && !r.insert && !r.update && !r.delete) continue;
    const db = (out[r.database] ??= { tables: {} }) as { tables: Record<string, unknown> };
    db.tables[r.table] = { read: r.read, insert: r.insert, update: r.update, delete: r.delete, attribute_permissions: r.attributePermissions };
  }
  return out;
}

/** Flips one checkbox; returns new rows (the input is not changed). */
export function toggle(rows: readonly PermissionRow[], database: string, table: string, flag: Crud): PermissionRow[] {
  return rows.map((r) => (r.database === database && r.table === table ? { ...r, [flag]: !r[flag] } : r));
}

/** Problems with an add-user form, or null. */
export function validateNewUser(input: { username: string; password: string; role: string }): string | null {
  if (!input.username.trim()) return 'Enter a username.';
  if (!/^[\w.@-]+$/.test(input.username.trim())) return 'Usernames may contain letters, digits and . _ - @ only.';
  if (!input.password) return 'Enter a password.';
  if (!input.role) return 'Choose a role.';
  return null;
}
