/**
 * Users and roles with HarperDB's fields, messages and shapes: add_role, alter_role, drop_role,
 * list_roles, add_user, alter_user, drop_user, list_users, user_info. Passwords and their
 * hashes never leave the server.
 */
import { validateRoleBody, type SchemaView } from '../../auth/role-validation.js';
import { CLUSTER_USER } from '../../auth/roles.js';
import type { StoredUser, User } from '../../auth/users.js';
import { DbError, invalid } from '../../errors/db-error.js';
import type { Body, OperationContext } from '../context.js';
import type { OperationRegistry } from '../registry.js';

const NAME_RE = /^[\w.@-]+$/;

/** The catalog as the role validator sees it. */
export function schemaView(ctx: Pick<OperationContext, 'catalog'>): SchemaView {
  return {
    hasDatabase: (db) => ctx.catalog.hasDatabase(db),
    tableAttributes: (db, t) => ctx.catalog.findTable(db, t)?.attributes,
    primaryKey: (db, t) => ctx.catalog.findTable(db, t)?.hashAttribute,
  };
}

/** A user as list_users and user_info show it: role expanded, no password. */
export function publicUser(u: User, stored: StoredUser | undefined): Record<string, unknown> {
  return { username: u.username, active: u.active, role: u.role, __createdtime__: stored?.createdTime, __updatedtime__: stored?.updatedTime };
}

function required(body: Body, field: string): string {
  const v = body[field];
  if (v === undefined || v === null || v === '') throw invalid(`${field[0]!.toUpperCase()}${field.slice(1)} can't be blank`);
  if (typeof v !== 'string') throw invalid(`${field[0]!.toUpperCase()}${field.slice(1)} must be a string`);
  return v;
}

function optionalActive(body: Body): boolean | undefined {
  if (body.active === undefined || body.active === null) return undefined;
  if (typeof body.active !== 'boolean') throw invalid('Active must be a boolean');
  return body.active;
}

async function addRole(body: Body, ctx: OperationContext) {
  const permission = validateRoleBody(body, 'add', schemaView(ctx));
  return ctx.users.roles.add(body.role as string, permission);
}

async function alterRole(body: Body, ctx: OperationContext) {
  const permission = validateRoleBody(body, 'alter', schemaView(ctx));
  return ctx.users.roles.alter(body.id as string, body.role as string | undefined, permission);
}

async function dropRole(body: Body, ctx: OperationContext) {
  const id = required(body, 'id');
  const role = ctx.users.roles.find(id);
  if (!role) throw new DbError('NOT_FOUND', 'Role not found');
  if (ctx.users.withRole(role.id).length) throw new DbError('CONFLICT', `Cannot drop role ${role.role} as it has user(s) tied to this role`);
  await ctx.users.roles.drop(role.id);
  return `${role.role} successfully deleted`;
}

async function addUser(body: Body, ctx: OperationContext) {
  const username = required(body, 'username');
  if (!NAME_RE.test(username)) throw invalid('Username is invalid');
  const password = required(body, 'password');
  const roleName = required(body, 'role');
  if (!/^[\w-]+$/.test(roleName)) throw invalid('Role is invalid');
  const active = optionalActive(body) ?? true;
  const role = ctx.users.roles.find(roleName);
  if (!role) throw new DbError('NOT_FOUND', `${roleName} role not found`);
  if (ctx.users.stored(username)) throw new DbError('CONFLICT', `User ${username} already exists`);
  await ctx.users.put(username, password, role, active);
  return `${username} successfully added`;
}

async function alterUser(body: Body, ctx: OperationContext) {
  const username = required(body, 'username');
  const existing = ctx.users.stored(username);
  if (!existing) throw new DbError('NOT_FOUND', `User ${username} does not exist`);
  const changes: { password?: string; role?: string; active?: boolean } = {};
  if (body.password !== undefined) changes.password = required(body, 'password');
  const active = optionalActive(body);
  if (active !== undefined) changes.active = active;
  if (body.role !== undefined) {
    const name = required(body, 'role');
    const role = ctx.users.roles.find(name);
    if (!role) throw new DbError('NOT_FOUND', `Update failed.  Requested '${name}' role not found.`);
    const current = ctx.users.roles.byId(existing.role);
    if (role.id !== existing.role && (current?.permission.cluster_user === true || current?.role === CLUSTER_USER)) {
      throw invalid('cannot change the role of a cluster_user');
    }
    changes.role = role.id;
  }
  const newAttributes = Object.keys(body).filter((k) => !['operation', 'username', 'password', 'role', 'active'].includes(k));
  if (newAttributes.length) throw invalid(`Invalid ${newAttributes.length > 1 ? 'keys' : 'key'} in JSON body - '${newAttributes.join("', '")}'`);
  const updated = await ctx.users.update(username, changes);
  return { message: 'updated 1 of 1 records', new_attributes: [], txn_time: updated.updatedTime, update_hashes: [username], skipped_hashes: [] };
}

async function dropUser(body: Body, ctx: OperationContext) {
  const username = required(body, 'username');
  if (!(await ctx.users.remove(username))) throw new DbError('NOT_FOUND', `User ${username} does not exist`);
  return `${username} successfully deleted`;
}

export function registerUserOperations(r: OperationRegistry): void {
  r.register({ name: 'add_role', superUserOnly: true, access: 'super', handler: addRole });
  r.register({ name: 'alter_role', superUserOnly: true, access: 'super', handler: alterRole });
  r.register({ name: 'drop_role', superUserOnly: true, access: 'super', handler: dropRole });
  r.register({ name: 'list_roles', superUserOnly: true, access: 'super', handler: (_b, ctx) => ctx.users.roles.list() });
  r.register({ name: 'add_user', superUserOnly: true, access: 'super', handler: addUser });
  r.register({ name: 'alter_user', superUserOnly: true, access: 'super', handler: alterUser });
  r.register({ name: 'drop_user', superUserOnly: true, access: 'super', handler: dropUser });
  // override: these two used to live in system.ts; whichever module registered them first, this shape wins.
  r.override({ name: 'list_users', superUserOnly: true, access: 'super', handler: (_b, ctx) => ctx.users.list().map((u) => publicUser(u, ctx.users.stored(u.username))) });
  r.override({ name: 'user_info', superUserOnly: false, access: 'any', handler: (_b, ctx) => publicUser(ctx.user, ctx.users.stored(ctx.user.username)) });
}
