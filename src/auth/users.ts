/**
 * Users and their roles, stored in 'system:users'. Authentication results are cached per
 * Authorization header (bounded), so the hot path never re-hashes; any user change clears it.
 * Roles follow HarperDB's shape ({role, permission:{super_user|cluster_user|<db>...}}); for now
 * the built-in roles are super_user and cluster_user.
 */
import { DbError } from '../errors/db-error.js';
import type { KvStore, StorageEngine } from '../storage/engine.js';
import { parseBasic } from './credentials.js';
import { hashPassword, verifyPassword } from './password.js';

export interface Role {
  role: string;
  permission: { super_user?: boolean; cluster_user?: boolean; [database: string]: unknown };
}

export interface StoredUser {
  username: string;
  passwordHash: string;
  role: Role;
  active: boolean;
  createdTime: number;
  updatedTime: number;
}

export interface User {
  username: string;
  role: Role;
  active: boolean;
}

export const SUPER_USER_ROLE: Role = { role: 'super_user', permission: { super_user: true } };
export const CLUSTER_USER_ROLE: Role = { role: 'cluster_user', permission: { cluster_user: true } };

const CACHE_LIMIT = 1000;
/** A header that just failed is refused without hashing again for this long. */
const FAILURE_MEMORY_MS = 2000;

export class Users {
  readonly #store: KvStore<StoredUser>;
  readonly #engine: StorageEngine;
  readonly #cache = new Map<string, User>();
  readonly #failures = new Map<string, number>();

  constructor(engine: StorageEngine) {
    this.#engine = engine;
    this.#store = engine.openStore<StoredUser>('system:users');
  }

  count(): number {
    return this.#store.getCount();
  }

  get(username: string): User | undefined {
    const u = this.#store.get(username);
    return u && { username: u.username, role: u.role, active: u.active };
  }

  list(): User[] {
    return [...this.#store.getRange()].map(({ value: u }) => ({ username: u.username, role: u.role, active: u.active }));
  }

  /** Creates or replaces a user with a freshly hashed password. */
  async put(username: string, password: string, role: Role, active = true): Promise<void> {
    const now = Date.now();
    const existing = this.#store.get(username);
    const user: StoredUser = { username, passwordHash: await hashPassword(password), role, active, createdTime: existing?.createdTime ?? now, updatedTime: now };
    await this.#engine.transaction(() => this.#store.put(username, user));
    this.#cache.clear();
    this.#failures.clear();
  }

  /** True when the stored password of a user equals the given one. */
  async checkPassword(username: string, password: string): Promise<boolean> {
    const u = this.#store.get(username);
    return Boolean(u && (await verifyPassword(password, u.passwordHash)));
  }

  /** The cached user for a header, without any hashing (hot path); undefined on a miss. */
  cached(header: string | undefined): User | undefined {
    return header ? this.#cache.get(header) : undefined;
  }

  /** Authenticates an Authorization header; throws 401 with HarperDB's message. */
  async authenticate(header: string | undefined): Promise<User> {
    const hit = header ? this.#cache.get(header) : undefined;
    if (hit) return hit;
    const creds = parseBasic(header);
    if (!creds) throw new DbError('UNAUTHENTICATED', 'Login failed');
    // Repeating a wrong header (a misconfigured peer or client retrying) costs no scrypt.
    const failedAt = this.#failures.get(header!);
    if (failedAt !== undefined && Date.now() - failedAt < FAILURE_MEMORY_MS) throw new DbError('UNAUTHENTICATED', 'Login failed');
    const stored = this.#store.get(creds.username);
    if (!stored || !(await verifyPassword(creds.password, stored.passwordHash))) {
      if (this.#failures.size >= CACHE_LIMIT) this.#failures.clear();
      this.#failures.set(header!, Date.now());
      throw new DbError('UNAUTHENTICATED', 'Login failed');
    }
    this.#failures.delete(header!);
    if (!stored.active) throw new DbError('UNAUTHENTICATED', 'Cannot complete request: User is inactive');
    const user: User = { username: stored.username, role: stored.role, active: stored.active };
    if (this.#cache.size >= CACHE_LIMIT) this.#cache.delete(this.#cache.keys().next().value as string);
    this.#cache.set(header!, user);
    return user;
  }
}

export function isSuperUser(user: User): boolean {
  return user.role.permission.super_user === true;
}
