/**
 * The known-peer registry (HarperDB's "manifest"): nodes added with add_node, persisted in the
 * `replication:nodes` store, plus the pure parsing of add_node/update_node bodies in both the
 * 3.x shape ({name, host, port, subscriptions:[{channel, publish, subscribe}]}) and the 4.x
 * shape ({node_name, subscriptions:[{database|schema, table, publish, subscribe, start_time}]}).
 */
import { invalid } from '../errors/db-error.js';
import type { KvStore, StorageEngine } from '../storage/engine.js';
import type { WireSubscription } from './protocol/messages.js';

export interface Subscription {
  database: string;
  table: string;
  publish: boolean;
  subscribe: boolean;
  /** Initial sync only sends rows updated at or after this epoch-ms time. */
  startTime?: number;
}

export interface NodeRecord {
  name: string;
  host: string;
  port: number;
  subscriptions: Subscription[];
  addedTime: number;
  /** Added by node_name (4.x) without an address: the address came from a route or known peer, and is looked up again on restart_service 'clustering config'. */
  byName?: boolean;
  /** The peer ran remove_node for this node (epoch ms): the dialler stopped. */
  removedByPeer?: number;
}

/** `database:table`, HarperDB 3.x's channel name. */
export function channelOf(s: { database: string; table: string }): string {
  return `${s.database}:${s.table}`;
}

export function toWire(s: Subscription): WireSubscription {
  return { db: s.database, table: s.table, pub: s.publish, sub: s.subscribe, ...(s.startTime !== undefined ? { since: s.startTime } : {}) };
}

/** The acceptor's view of a dialler's subscription: directions swapped. */
export function mirrorOf(s: WireSubscription): Subscription {
  return { database: s.db, table: s.table, publish: s.sub, subscribe: s.pub, ...(s.since !== undefined ? { startTime: s.since } : {}) };
}

const NAME_RE = /^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,63}$/;

/** Node name from `name` (3.x) or `node_name` (4.x). */
export function parseNodeName(body: Record<string, unknown>): string {
  const v = body.name ?? body.node_name;
  if (v === undefined || v === null || v === '') throw invalid(`'name' is required`);
  if (typeof v !== 'string' || !NAME_RE.test(v)) throw invalid(`'name' must be 1-64 letters, digits, '-', '_' or '.'`);
  return v;
}

export function parseHost(v: unknown): string {
  if (v === undefined || v === null || v === '') throw invalid(`'host' is required`);
  if (typeof v !== 'string' || /[\s/@]/.test(v)) throw invalid(`'host' must be a host name or address`);
  return v;
}

export function parsePort(v: unknown): number {
  if (v === undefined || v === null || v === '') throw invalid(`'port' is required`);
  const n = typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 65535) throw invalid(`'port' must be an integer between 1 and 65535`);
  return n;
}

function parseStartTime(v: unknown, i: number): number | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  const ms = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : typeof v === 'string' ? Date.parse(v) : NaN;
  if (!Number.isFinite(ms) || ms < 0) throw invalid(`subscription ${i}: 'start_time' must be an ISO date or epoch milliseconds`);
  return ms;
}

/**
 * Which dialect a cluster operation body speaks, for the answer's wording: 4.x names the node
 * with `node_name` (no `name`) and lists tables, not 3.x `channel`s.
 */
export function isBody4x(body: Record<string, unknown>): boolean {
  if (body.name !== undefined || body.node_name === undefined) return false;
  const subs = body.subscriptions;
  return !Array.isArray(subs) || !subs.some((x) => x && typeof x === 'object' && (x as Record<string, unknown>).channel !== undefined);
}

/** A subscription as HarperDB 4.x lists it (add_node's `added`, cluster_status 4.x). */
export function toSubscription4x(s: Subscription): Record<string, unknown> {
  return { schema: s.database, table: s.table, publish: s.publish, subscribe: s.subscribe, ...(s.startTime !== undefined ? { start_time: new Date(s.startTime).toISOString() } : {}) };
}

/** 4.x update_node: PATCH per table, other subscriptions untouched. */
export function patchSubscriptions(existing: Subscription[], changes: Subscription[]): Subscription[] {
  const out = existing.map((s) => ({ ...s }));
  for (const c of changes) {
    const i = out.findIndex((s) => s.database === c.database && s.table === c.table);
    if (i >= 0) out[i] = c; else out.push(c);
  }
  return out;
}

/** Validates a subscriptions array (either shape); throws a 400 naming the first problem. */
export function parseSubscriptions(v: unknown): Subscription[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw invalid(`'subscriptions' must be an array`);
  const out: Subscription[] = [];
  const seen = new Set<string>();
  v.forEach((raw: unknown, i) => {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw invalid(`subscription ${i} must be an object`);
    const s = raw as Record<string, unknown>;
    let database: unknown, table: unknown;
    if (s.channel !== undefined) {
      if (typeof s.channel !== 'string') throw invalid(`subscription ${i}: 'channel' must be a string 'database:table'`);
      const parts = s.channel.split(':');
      if (parts.length !== 2 || !parts[0] || !parts[1]) throw invalid(`subscription ${i}: 'channel' must be 'database:table', got '${s.channel}'`);
      [database, table] = parts;
    } else {
      table = s.table;
      if (typeof table !== 'string' || !table) throw invalid(`subscription ${i}: 'channel' (or 'table', with 'database' or 'schema') is required`);
      // HarperDB 4.x: a subscription without a database means the default database 'data'.
      database = s.database ?? s.schema ?? 'data';
      if (typeof database !== 'string' || !database) throw invalid(`subscription ${i}: 'database' must be a non-empty string`);
    }
    const db = database as string, tb = table as string;
    if (/^(system|hdb_internal)/i.test(db)) throw invalid(`subscription ${i}: channels may not start with 'system' or 'hdb_internal'`);
    if (typeof s.publish !== 'boolean') throw invalid(`subscription ${i}: 'publish' must be a boolean`);
    if (typeof s.subscribe !== 'boolean') throw invalid(`subscription ${i}: 'subscribe' must be a boolean`);
    const key = `${db}\u0000${tb}`;
    if (seen.has(key)) throw invalid(`subscription ${i}: channel '${db}:${tb}' is listed twice`);
    seen.add(key);
    const startTime = parseStartTime(s.start_time, i);
    out.push({ database: db, table: tb, publish: s.publish, subscribe: s.subscribe, ...(startTime !== undefined ? { startTime } : {}) });
  });
  return out;
}

/** Persistent node records. */
export class PeerRegistry {
  readonly #engine: StorageEngine;
  readonly #store: KvStore<NodeRecord>;

  constructor(engine: StorageEngine) {
    this.#engine = engine;
    this.#store = engine.openStore<NodeRecord>('replication:nodes');
  }

  get(name: string): NodeRecord | undefined {
    return this.#store.get(name);
  }

  list(): NodeRecord[] {
    return [...this.#store.getRange()].map(({ value }) => value);
  }

  async put(node: NodeRecord): Promise<void> {
    await this.#engine.transaction(() => this.#store.put(node.name, node));
  }

  async remove(name: string): Promise<boolean> {
    return this.#engine.transaction(() => this.#store.remove(name));
  }
}
