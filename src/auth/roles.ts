/**
 * Roles as HarperDB stores them ({id, role, permission, __createdtime__, __updatedtime__}) in
 * the 'system:roles' store, mirrored in memory (this process is the only writer; the CLI works
 * on a stopped node). The built-in super_user and cluster_user roles are created on first use.
 * A role is found by id or by name (HarperDB's docs pass the name as `id` to drop_role).
 */
import { randomUUID } from 'node:crypto';
import { DbError } from '../errors/db-error.js';
import type { KvStore, StorageEngine } from '../storage/engine.js';
import type { Permission } from './role-validation.js';

export interface Role {
  id: string;
  role: string;
  permission: Permission;
  __createdtime__: number;
  __updatedtime__: number;
}

export const SUPER_USER = 'super_user';
export const CLUSTER_USER = 'cluster_user';

export class Roles {
  readonly #store: KvStore<Role>;
  readonly #engine: StorageEngine;
  readonly #byId = new Map<string, Role>();
  readonly #clock: () => number;
  /** Called after every change (the user cache listens). */
  onChange: () => void = () => {};

  constructor(engine: StorageEngine, clock: () => number = Date.now) {
    this.#engine = engine;
    this.#clock = clock;
    this.#store = engine.openStore<Role>('system:roles');
    for (const { value } of this.#store.getRange()) this.#byId.set(value.id, value);
    this.#ensure(SUPER_USER, { super_user: true });
    this.#ensure(CLUSTER_USER, { cluster_user: true });
  }

  #ensure(name: string, permission: Permission): void {
    if (this.byName(name)) return;
    const now = this.#clock();
    const role: Role = { id: randomUUID(), role: name, permission, __createdtime__: now, __updatedtime__: now };
    this.#engine.transactionSync(() => this.#store.put(role.id, role));
    this.#byId.set(role.id, role);
  }

  list(): Role[] {
    return [...this.#byId.values()];
  }

  byId(id: string): Role | undefined {
    return this.#byId.get(id);
  }

  byName(name: string): Role | undefined {
    for (const r of this.#byId.values()) if (r.role === name) return r;
    return undefined;
  }

  /** By id, then by name. */
  find(idOrName: string): Role | undefined {
    return this.#byId.get(idOrName) ?? this.byName(idOrName);
  }

  async add(name: string, permission: Permission): Promise<Role> {
    if (this.byName(name)) throw new DbError('CONFLICT', `A role with name '${name}' already exists`);
    const now = this.#clock();
    const role: Role = { id: randomUUID(), role: name, permission, __createdtime__: now, __updatedtime__: now };
    await this.#put(role);
    return role;
  }

  async alter(idOrName: string, name: string | undefined, permission: Permission): Promise<Role> {
    const existing = this.find(idOrName);
    if (!existing) throw new DbError('NOT_FOUND', 'Role not found');
    if (name !== undefined && name !== existing.role && this.byName(name)) throw new DbError('CONFLICT', `A role with name '${name}' already exists`);
    const role: Role = { ...existing, role: name ?? existing.role, permission, __updatedtime__: Math.max(this.#clock(), existing.__updatedtime__) };
    await this.#put(role);
    return role;
  }

  async drop(id: string): Promise<Role> {
    const existing = this.find(id);
    if (!existing) throw new DbError('NOT_FOUND', 'Role not found');
    await this.#engine.transaction(() => this.#store.remove(existing.id));
    this.#byId.delete(existing.id);
    this.onChange();
    return existing;
  }

  async #put(role: Role): Promise<void> {
    await this.#engine.transaction(() => this.#store.put(role.id, role));
    this.#byId.set(role.id, role);
    this.onChange();
  }
}
