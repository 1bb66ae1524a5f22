/**
 * Users (store 'system:users', mirrored in memory) and authentication of every port's
 * Authorization header: `Basic` (scrypt-verified once per new credential, then cached) and
 * `Bearer <operation_token>` (JWT verified once, then cached until it expires).
 *
 * The caches never hold a decision that can go stale: a cached Basic credential remembers the
 * password hash it was verified against and the user is re-resolved from the in-memory store on
 * every hit, so a password change, a role change, `active: false` or a dropped user take effect
 * on the next request without clearing anything (and without re-paying scrypt for other users).
 */
import { createHash } from 'node:crypto';
import { DbError } from '../errors/db-error.js';
import type { KvStore, StorageEngine } from '../storage/engine.js';
import { parseBasic } from './credentials.js';
import { LoginLimiter } from './login-limiter.js';
import { hashPassword, verifyPassword } from './password.js';
import type { SchemaView } from './role-validation.js';
import { CLUSTER_USER, Roles, SUPER_USER, type Role } from './roles.js';
import type { Tokens } from './tokens.js';

export type { Role } from './roles.js';
export { isSuperUser } from './permissions.js';

export interface StoredUser {
  username: string;
  passwordHash: string;
  /** Role id. */
  role: string;
  active: boolean;
  createdTime: number;
  updatedTime: number;
  /** sha256 of the current refresh token (a password change clears it). */
  refreshTokenHash?: string;
}

/** An authenticated user as every entry point sees it. */
export interface User {
  username: string;
  role: Role;
  active: boolean;
  /** Schema facts the permission rules need (primary keys); absent for synthetic users. */
  schema?: SchemaView;
}

export interface UsersOptions {
  clock?: () => number;
  limiter?: LoginLimiter;
}

const CACHE_LIMIT = 1000;
/** A header that just failed is refused without hashing again for this long. */
const FAILURE_MEMORY_MS = 2000;
const NO_ROLE: Role = { id: '', role: '', permission: {}, __createdtime__: 0, __updatedtime__: 0 };
/** Verified against when the user does not exist, so unknown and known names cost the same. */
let dummyHash: Promise<string> | null = null;

/** 'Bearer ' (any case), checked without a regular expression on the hot path. */
const BEARER = [98, 101, 97, 114, 101, 114];
const isBearer = (h: string) => {
  if (h.length <= 7 || h.charCodeAt(6) !== 32) return false;
  for (let i = 0; i < 6; i++) if ((h.charCodeAt(i) | 32) !== BEARER[i]) return false;
  return true;
};
const tokenKey = (h: string) => h.slice(-43);
const sha256 = (s: string) => createHash('sha256').update(s).digest('base64');

export class Users {
  readonly roles: Roles;
  readonly #store: KvStore<StoredUser>;
  readonly #engine: StorageEngine;
  readonly #users = new Map<string, StoredUser>();
  readonly #resolved = new Map<string, User>();
  readonly #creds = new Map<string, { username: string; hash: string }>();
  readonly #tokenCache = new Map<string, { header: string; username: string; expiresAt: number }>();
  readonly #failures = new Map<string, number>();
  readonly #clock: () => number;
  readonly limiter: LoginLimiter;
  #tokens: Tokens | null = null;
  #schema: SchemaView | undefined;

  constructor(engine: StorageEngine, opts: UsersOptions = {}) {
    this.#engine = engine;
    this.#clock = opts.clock ?? Date.now;
    this.limiter = opts.limiter ?? new LoginLimiter({ clock: this.#clock });
    this.roles = new Roles(engine, this.#clock);
    this.roles.onChange = () => this.#resolved.clear();
    this.#store = engine.openStore<StoredUser>('system:users');
    const migrated: StoredUser[] = [];
    for (const { value } of this.#store.getRange()) {
      const u = { ...value };
      // Before roles were stored on their own, a user carried its role document.
      if (typeof u.role !== 'string') {
        const old = u.role as unknown as { role?: string; permission?: { cluster_user?: boolean } };
        u.role = (this.roles.byName(old.role ?? '') ?? this.roles.byName(old.permission?.cluster_user ? CLUSTER_USER : SUPER_USER))!.id;
        migrated.push(u);
      }
      this.#users.set(u.username, u);
    }
    if (migrated.length) engine.transactionSync(() => { for (const u of migrated) this.#store.put(u.username, u); });
  }

  /** Token signing and verification (set once at start-up). */
  attachTokens(tokens: Tokens): void {
    this.#tokens = tokens;
  }

  get tokens(): Tokens | null {
    return this.#tokens;
  }

  /** Schema facts for the permission rules (set once at start-up). */
  setSchema(schema: SchemaView): void {
    this.#schema = schema;
    this.#resolved.clear();
  }

  count(): number {
    return this.#users.size;
  }

  stored(username: string): StoredUser | undefined {
    return this.#users.get(username);
  }

  storedAll(): StoredUser[] {
    return [...this.#users.values()];
  }

  get(username: string): User | undefined {
    const s = this.#users.get(username);
    return s && this.#resolve(s);
  }

  list(): User[] {
    return [...this.#users.values()].map((s) => this.#resolve(s));
  }

  /** Users holding a role (drop_role refuses while there are any). */
  withRole(roleId: string): string[] {
    return [...this.#users.values()].filter((u) => u.role === roleId).map((u) => u.username);
  }

  /** Creates or replaces a user with a freshly hashed password (start-up, CLI). */
  async put(username: string, password: string, role: Role | string, active = true): Promise<void> {
    const r = typeof role === 'string' ? this.roles.find(role) : this.roles.find(role.id) ?? this.roles.byName(role.role);
    if (!r) throw new DbError('NOT_FOUND', `${typeof role === 'string' ? role : role.role} role not found`);
    const now = this.#clock();
    const existing = this.#users.get(username);
    await this.#write({ username, passwordHash: await hashPassword(password), role: r.id, active, createdTime: existing?.createdTime ?? now, updatedTime: now });
  }

  /** Changes some fields of an existing user; a new password revokes its refresh token. */
  async update(username: string, changes: { password?: string; role?: string; active?: boolean }): Promise<StoredUser> {
    const existing = this.#users.get(username);
    if (!existing) throw new DbError('NOT_FOUND', `User ${username} does not exist`);
    const next: StoredUser = { ...existing, updatedTime: Math.max(this.#clock(), existing.updatedTime) };
    if (changes.password !== undefined) {
      next.passwordHash = await hashPassword(changes.password);
      delete next.refreshTokenHash;
    }
    if (changes.role !== undefined) next.role = changes.role;
    if (changes.active !== undefined) next.active = changes.active;
    await this.#write(next);
    return next;
  }

  async remove(username: string): Promise<boolean> {
    if (!this.#users.has(username)) return false;
    await this.#engine.transaction(() => this.#store.remove(username));
    this.#users.delete(username);
    this.#resolved.delete(username);
    return true;
  }

  /** True when the stored password of a user equals the given one. */
  async checkPassword(username: string, password: string): Promise<boolean> {
    const u = this.#users.get(username);
    return Boolean(u && (await verifyPassword(password, u.passwordHash)));
  }

  /** The cached user for a header, without any hashing or signature check (hot path); undefined on a miss. */
  cached(header: string | undefined): User | undefined {
    if (!header) return undefined;
    if (isBearer(header)) {
      // Keyed by the end of the signature: hashing a whole JWT per request costs more than the rest of the lookup.
      const key = tokenKey(header);
      const t = this.#tokenCache.get(key);
      if (!t || t.header !== header) return undefined;
      if (this.#clock() >= t.expiresAt) { this.#tokenCache.delete(key); return undefined; }
      const s = this.#users.get(t.username);
      return s && s.active ? this.#resolve(s) : undefined;
    }
    const c = this.#creds.get(header);
    if (!c) return undefined;
    const s = this.#users.get(c.username);
    return s && s.active && s.passwordHash === c.hash ? this.#resolve(s) : undefined;
  }

  /**
   * Authenticates an Authorization header (Basic or Bearer); throws HarperDB's 401 (`Login failed`,
   * `invalid token`, inactive user) or 403 (`token expired`). `remoteAddress` keys the failed-login limit;
   * every port should pass it (without it only the repeated-header memory applies, so one bad client behind
   * an unknown address can never lock out everyone else on that port).
   */
  async authenticate(header: string | undefined, remoteAddress?: string): Promise<User> {
    const hit = this.cached(header);
    if (hit) return hit;
    if (header && isBearer(header)) return this.#bearer(header);
    const creds = parseBasic(header);
    if (!creds) throw new DbError('UNAUTHENTICATED', 'Login failed');
    const s = await this.verifyCredentials(creds.username, creds.password, remoteAddress, header!);
    this.#remember(this.#creds, header!, { username: s.username, hash: s.passwordHash });
    return this.#resolve(s);
  }

  /** Checks a username and password under the failed-login limit; returns the active stored user. */
  async verifyCredentials(username: string, password: string, remoteAddress: string | undefined, failureKey = `${username}\u0000${sha256(password)}`): Promise<StoredUser> {
    const fail = (): never => {
      if (remoteAddress !== undefined) this.limiter.failed(remoteAddress);
      this.#remember(this.#failures, failureKey, this.#clock());
      throw new DbError('UNAUTHENTICATED', 'Login failed');
    };
    if (remoteAddress !== undefined && this.limiter.blockedFor(remoteAddress) > 0) throw new DbError('UNAUTHENTICATED', 'Login failed');
    // Repeating a wrong header (a misconfigured peer or client retrying) costs no scrypt.
    const failedAt = this.#failures.get(failureKey);
    if (failedAt !== undefined && this.#clock() - failedAt < FAILURE_MEMORY_MS) return fail();
    const stored = this.#users.get(username);
    const ok = stored ? await verifyPassword(password, stored.passwordHash) : (await verifyPassword(password, await (dummyHash ??= hashPassword('\u0000unknown user'))), false);
    const now = this.#users.get(username);
    if (!ok || !now || now.passwordHash !== stored!.passwordHash) return fail();
    if (remoteAddress !== undefined) this.limiter.succeeded(remoteAddress);
    this.#failures.delete(failureKey);
    if (!now.active) throw new DbError('UNAUTHENTICATED', 'Cannot complete request: User is inactive');
    return now;
  }

  /** create_authentication_tokens: both tokens for a username and password. */
  async createTokens(username: string, password: string, remoteAddress?: string): Promise<{ operation_token: string; refresh_token: string }> {
    const tokens = this.#requireTokens();
    const s = await this.verifyCredentials(username, password, remoteAddress);
    const operation_token = await tokens.sign(s.username, 'operation');
    const refresh_token = await tokens.sign(s.username, 'refresh');
    await this.#write({ ...s, refreshTokenHash: sha256(refresh_token) });
    return { operation_token, refresh_token };
  }

  /** refresh_operation_token: a new operation token for a valid, current refresh token. */
  async refreshOperationToken(refreshToken: string): Promise<{ operation_token: string }> {
    const tokens = this.#requireTokens();
    const { username } = await tokens.verify(refreshToken, 'refresh');
    const s = this.#users.get(username);
    if (!s || s.refreshTokenHash !== sha256(refreshToken)) throw new DbError('UNAUTHENTICATED', 'invalid token');
    if (!s.active) throw new DbError('UNAUTHENTICATED', 'Cannot complete request: User is inactive');
    return { operation_token: await tokens.sign(username, 'operation') };
  }

  async #bearer(header: string): Promise<User> {
    const token = header.replace(/^Bearer\s+/i, '').trim();
    const tokens = this.#tokens;
    if (!tokens || !token) throw new DbError('UNAUTHENTICATED', 'invalid token');
    const v = await tokens.verify(token, 'operation');
    const s = this.#users.get(v.username);
    if (!s) throw new DbError('UNAUTHENTICATED', 'invalid token');
    if (!s.active) throw new DbError('UNAUTHENTICATED', 'Cannot complete request: User is inactive');
    this.#remember(this.#tokenCache, tokenKey(header), { header, username: s.username, expiresAt: v.expiresAt });
    return this.#resolve(s);
  }

  #requireTokens(): Tokens {
    if (!this.#tokens) throw new DbError('UNAVAILABLE', 'token authentication is not available on this node');
    return this.#tokens;
  }

  #resolve(s: StoredUser): User {
    let u = this.#resolved.get(s.username);
    if (!u || u.active !== s.active || u.role.id !== s.role) {
      u = { username: s.username, role: this.roles.byId(s.role) ?? NO_ROLE, active: s.active };
      // Not enumerable: a User serialised anywhere shows only its public fields.
      if (this.#schema) Object.defineProperty(u, 'schema', { value: this.#schema, enumerable: false });
      this.#resolved.set(s.username, u);
    }
    return u;
  }

  #remember<V>(map: Map<string, V>, key: string, value: V): void {
    if (map.size >= CACHE_LIMIT) map.delete(map.keys().next().value as string);
    map.set(key, value);
  }

  async #write(u: StoredUser): Promise<void> {
    await this.#engine.transaction(() => this.#store.put(u.username, u));
    this.#users.set(u.username, u);
    this.#resolved.delete(u.username);
  }
}
