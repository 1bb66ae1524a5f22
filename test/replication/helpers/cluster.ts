/**
 * In-process FerryDB nodes for replication tests: temp root, port 0 everywhere, clustering on,
 * silent logs (or a capturing logger), closed and removed in t.after.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { TestContext } from 'node:test';
import pino from 'pino';
import { loadConfig } from '../../../src/config/load-config.js';
import { replicationOf, type Replication } from '../../../src/replication/index.js';
import { createNode, type FerryNode } from '../../../src/server.js';
import { opsClient, type Op } from '../../helpers/http-client.js';
import { waitFor } from '../../helpers/wait-for.js';

export const ADMIN = { user: 'admin', password: 'admin-pass' };

export interface ClusterNode {
  name: string;
  node: FerryNode;
  op: Op;
  url: string;
  clusteringPort: number;
  rootPath: string;
  replication: Replication;
  logs: () => string;
  close(): Promise<void>;
  /** Closes the node but keeps its root path (restart on the same data). */
  stop(): Promise<void>;
}

export interface NodeOpts {
  name: string;
  clusterPassword?: string;
  clusterUser?: string;
  rootPath?: string;
  clusteringPort?: number;
  /** Extra settings by dotted path, e.g. {'clustering.heartbeatMs': '200'}. */
  settings?: Record<string, string>;
  clustering?: boolean;
}

/** Starts a node in this process; closes it (and removes its root unless given) in t.after. */
export async function startClusterNode(t: TestContext | null, opts: NodeOpts): Promise<ClusterNode> {
  const ownRoot = !opts.rootPath;
  const rootPath = opts.rootPath ?? mkdtempSync(join(tmpdir(), `ferrydb-repl-${opts.name}-`));
  const config = loadConfig({
    env: {
      ROOTPATH: rootPath, HDB_ADMIN_USERNAME: ADMIN.user, HDB_ADMIN_PASSWORD: ADMIN.password,
      NODE_NAME: opts.name, CLUSTERING: String(opts.clustering ?? true),
      CLUSTERING_USER: opts.clusterUser ?? 'cluster_user', CLUSTERING_PASSWORD: opts.clusterPassword ?? 'cluster-secret',
    },
    flags: {
      'operationsApi.network.port': '0', 'http.port': '0', 'mqtt.network.port': '0', 'mqtt.network.securePort': '0', 'clustering.port': String(opts.clusteringPort ?? 0), 'clustering.host': '127.0.0.1',
      'localStudio.enabled': 'false', 'logging.file': 'false', 'logging.stdStreams': 'false',
      'clustering.heartbeatMs': '500', 'clustering.reconnect.minMs': '50', 'clustering.reconnect.maxMs': '1000',
      // No retention pass in the middle of a test unless it asks for one (runRetention or a short interval).
      'clustering.retention.firstPassMs': '600000',
      ...opts.settings,
    },
  });
  let text = '';
  const sink = new Writable({ write(chunk, _enc, cb) { text += chunk.toString(); if (text.length > 4_000_000) text = text.slice(-2_000_000); cb(); } });
  const logger = pino({ level: 'info' }, sink);
  const node = await createNode(config, { logger });
  const { operations } = await node.listen();
  const url = `http://127.0.0.1:${operations.port}/`;
  let closed = false;
  const handle: ClusterNode = {
    name: opts.name, node, url, rootPath,
    op: opsClient(url, ADMIN.user, ADMIN.password),
    clusteringPort: node.services.node.ports.clustering ?? 0,
    replication: replicationOf(node.services)!,
    logs: () => text,
    async close() {
      if (!closed) { closed = true; await node.close(); }
      if (ownRoot) rmSync(rootPath, { recursive: true, force: true });
    },
    async stop() {
      if (closed) return;
      closed = true;
      await node.close();
    },
  };
  t?.after(() => handle.close());
  return handle;
}

/** Creates a database and tables keyed by `id` on every node (an existing database is fine). */
export async function createTables(nodes: ClusterNode[], database: string, tables: string[]): Promise<void> {
  for (const n of nodes) {
    await n.op({ operation: 'create_database', database });
    for (const table of tables) {
      const r = await n.op({ operation: 'create_table', database, table, primary_key: 'id' });
      if (r.status !== 200) throw new Error(`${n.name}: create_table ${database}.${table}: ${JSON.stringify(r.body)}`);
    }
  }
}

/** Sensor-like rows. */
export function sensorRows(from: number, count: number): Record<string, unknown>[] {
  const out = [];
  for (let id = from; id < from + count; id++) {
    out.push({ id, machine_id: 'm' + (id % 100), pressure: (id * 37 % 10000) / 100, temperature: (1500 + (id * 13 % 3000)) / 100, weight: (id * 7919 % 500000) / 100, ts: 1_700_000_000_000 + id });
  }
  return out;
}

export async function count(op: Op, database: string, table: string): Promise<number> {
  const r = await op({ operation: 'describe_table', database, table });
  return r.status === 200 ? (r.body.record_count as number) : -1;
}

export async function waitForCount(op: Op, database: string, table: string, n: number, timeoutMs = 20_000, what = `${database}.${table} to hold ${n} rows`): Promise<void> {
  await waitFor(async () => (await count(op, database, table)) === n, { timeoutMs, intervalMs: 50, what });
}

/** All rows of a table sorted by primary key, without the time stamps. */
export async function rowsOf(op: Op, database: string, table: string, key = 'id'): Promise<Record<string, unknown>[]> {
  const r = await op({ operation: 'search_by_value', database, table, search_attribute: key, search_value: '*', get_attributes: ['*'] });
  if (r.status !== 200) return [];
  return (r.body as Record<string, unknown>[]).sort((a, b) => (String(a[key]) < String(b[key]) ? -1 : String(a[key]) > String(b[key]) ? 1 : 0));
}

export async function subStatus(n: ClusterNode, peer: string, channel: string, dir: 'outbound_connections' | 'inbound_connections'): Promise<Record<string, any> | undefined> {
  const r = await n.op({ operation: 'cluster_status' });
  const conn = (r.body.status?.[dir] ?? []).find((c: any) => c.node_name === peer);
  return conn?.subscriptions.find((s: any) => s.channel === channel);
}
