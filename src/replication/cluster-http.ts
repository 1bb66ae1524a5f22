/**
 * Node-to-node requests on the clustering port, beside the replication upgrade: what HarperDB
 * 4.0-4.3 asks a peer over NATS (who are you, which tables do you have, create these). Used
 * to resolve add_node's node_name through routes, to create the subscribed tables on the side
 * that lacks them, for cluster_network and the 4.x cluster_status figures. Same credentials
 * as replication (a cluster user or a super user). JSON in, JSON out; never secrets.
 *
 *   GET  /ferrydb/cluster/identity -> Identity
 *   POST /ferrydb/cluster/tables   {tables:[{database, table, hash_attribute?}], create?} -> {tables:[TableInfo]}
 */
import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { checkAttributeName, checkDatabaseName, checkTableName } from '../catalog/names.js';
import type { Route } from '../config/load-config.js';
import type { Services } from '../operations/context.js';

export const IDENTITY_PATH = '/ferrydb/cluster/identity';
export const TABLES_PATH = '/ferrydb/cluster/tables';

export interface Identity {
  node_name: string;
  ports: { clustering: number | null; operations_api: number };
  system_info: { hdb_version: string; node_version: string; platform: string };
  uptime_ms: number;
  /** Peers with an open link, whichever side dialled. */
  connected_nodes: string[];
  routes: { host: string; port: number | null }[];
  /** Addresses of the nodes this node dials (lets cluster_network walk the network). */
  peers: { node_name: string; host: string; port: number }[];
}

export interface TableInfo {
  database: string;
  table: string;
  exists: boolean;
  hash_attribute: string | null;
  created?: boolean;
  error?: string;
}

export interface ClusterHttpDeps {
  services: Services;
  identity(): Identity;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function readJson(req: IncomingMessage, limit = 1024 * 1024): Promise<unknown> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > limit) throw new Error('body too large');
    chunks.push(c);
  }
  return chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : {};
}

/** Reports (and with create, creates) the listed tables on this node. */
export function describeTables(services: Services, wanted: unknown, create: boolean): TableInfo[] {
  if (!Array.isArray(wanted) || wanted.length > 1000) throw new Error(`'tables' must be an array of at most 1000 entries`);
  return wanted.map((w: unknown) => {
    const o = (w && typeof w === 'object' ? w : {}) as Record<string, unknown>;
    const database = String(o.database ?? ''), table = String(o.table ?? '');
    const found = services.catalog.findTable(database, table);
    if (found) return { database, table, exists: true, hash_attribute: found.hashAttribute };
    if (!create || typeof o.hash_attribute !== 'string') return { database, table, exists: false, hash_attribute: null };
    try {
      checkDatabaseName(database);
      checkTableName(table);
      checkAttributeName(o.hash_attribute, 'hash_attribute');
      const def = services.records.createTable(database, table, o.hash_attribute);
      services.logger.info({ database, table, hashAttribute: def.hashAttribute }, 'created a subscribed table the peer has (4.x add_node)');
      return { database, table, exists: true, hash_attribute: def.hashAttribute, created: true };
    } catch (err) {
      return { database, table, exists: false, hash_attribute: null, error: (err as Error).message };
    }
  });
}

/** Handles a plain (non-upgrade) request on the clustering port; false when the path is not ours. */
export function handleClusterRequest(deps: ClusterHttpDeps, req: IncomingMessage, res: ServerResponse): boolean {
  const path = (req.url ?? '').split('?')[0];
  if (path !== IDENTITY_PATH && path !== TABLES_PATH) return false;
  void (async () => {
    try {
      const user = await deps.services.users.authenticate(req.headers.authorization).catch(() => null);
      if (!user) { res.setHeader('www-authenticate', 'Basic realm="ferrydb-replication"'); send(res, 401, { error: 'Login failed' }); return; }
      if (!user.role.permission.cluster_user && !user.role.permission.super_user) { send(res, 403, { error: `user '${user.username}' may not use the cluster endpoints (role needs cluster_user)` }); return; }
      if (path === IDENTITY_PATH) {
        if (req.method !== 'GET') { send(res, 405, { error: 'use GET' }); return; }
        send(res, 200, deps.identity());
        return;
      }
      if (req.method !== 'POST') { send(res, 405, { error: 'use POST' }); return; }
      const body = (await readJson(req)) as Record<string, unknown>;
      send(res, 200, { tables: describeTables(deps.services, body.tables, body.create === true) });
    } catch (err) {
      if (!res.headersSent) send(res, 400, { error: (err as Error).message });
    }
  })();
  return true;
}

export interface PeerClientOptions {
  tls: boolean;
  authorization: string;
  ca?: Buffer;
  insecure: boolean;
}

export type PeerResult<T> = { ok: true; body: T; ms: number } | { ok: false; error: string; status?: number };

/** One JSON request to a peer's clustering port; resolves (never rejects). */
export function peerRequest<T>(opts: PeerClientOptions, target: { host: string; port: number }, path: string, body: unknown, timeoutMs = 2000): Promise<PeerResult<T>> {
  const started = performance.now();
  return new Promise((resolve) => {
    const payload = body === undefined ? null : JSON.stringify(body);
    const req = (opts.tls ? httpsRequest : httpRequest)({
      host: target.host, port: target.port, path, method: payload === null ? 'GET' : 'POST',
      // One short-lived connection per request: nothing stays open toward the peer.
      agent: false,
      headers: { authorization: opts.authorization, accept: 'application/json', connection: 'close', ...(payload !== null ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}) },
      timeout: timeoutMs,
      ...(opts.tls ? { rejectUnauthorized: !opts.insecure, ...(opts.ca ? { ca: opts.ca } : {}) } : {}),
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => { if (text.length < 4_000_000) text += d; });
      res.on('end', () => {
        const ms = Math.round((performance.now() - started) * 100) / 100;
        let parsed: unknown;
        try { parsed = JSON.parse(text); } catch { parsed = null; }
        if (res.statusCode === 200 && parsed !== null) resolve({ ok: true, body: parsed as T, ms });
        else resolve({ ok: false, status: res.statusCode ?? 0, error: `HTTP ${res.statusCode}${parsed && typeof parsed === 'object' && 'error' in parsed ? `: ${String((parsed as { error: unknown }).error)}` : ''}` });
      });
      res.on('error', (err) => resolve({ ok: false, error: err.message }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (err) => resolve({ ok: false, error: err.message }));
    req.end(payload ?? undefined);
  });
}

/** "host:port" for messages. */
export function routeLabel(r: Route | { host: string; port: number }): string {
  return `${r.host.includes(':') ? `[${r.host}]` : r.host}:${r.port ?? '(own clustering port)'}`;
}
