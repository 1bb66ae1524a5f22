/** system_information, get_configuration (users and roles: users.ts). */
import { statfsSync } from 'node:fs';
import * as os from 'node:os';
import { redactConfig } from '../../config/load-config.js';
import { invalid } from '../../errors/db-error.js';
import type { Body, OperationContext } from '../context.js';
import type { OperationRegistry } from '../registry.js';

const SECTIONS = ['system', 'time', 'cpu', 'memory', 'disk', 'network', 'harperdb_processes', 'table_size', 'storage', 'replication'] as const;

function systemInformation(body: Body, ctx: OperationContext) {
  const wanted = body.attributes;
  if (wanted !== undefined && (!Array.isArray(wanted) || wanted.some((a) => typeof a !== 'string'))) throw invalid(`'attributes' must be an array of section names`);
  const pick = new Set((wanted as string[] | undefined) ?? SECTIONS);
  const out: Record<string, unknown> = {};
  const mem = process.memoryUsage();
  if (pick.has('system')) out.system = {
    platform: process.platform, arch: process.arch, release: os.release(), hostname: os.hostname(),
    node_version: process.version, ferrydb_version: ctx.node.version, hdb_version: ctx.node.version, node_name: ctx.node.nodeName,
  };
  if (pick.has('time')) out.time = {
    current: Date.now(), uptime: Math.round(os.uptime()), process_uptime: Math.round((Date.now() - ctx.node.startedAt) / 1000),
    timezone: Intl.DateTimeFormat().resolvedOptions().timeZone,
  };
  if (pick.has('cpu')) {
    const cpus = os.cpus();
    const usage = process.cpuUsage();
    out.cpu = {
      brand: cpus[0]?.model ?? 'unknown', cores: cpus.length, speed: cpus[0]?.speed ?? 0,
      load_average: os.loadavg(), process_user_ms: Math.round(usage.user / 1000), process_system_ms: Math.round(usage.system / 1000),
    };
  }
  if (pick.has('memory')) out.memory = {
    total: os.totalmem(), free: os.freemem(), used: os.totalmem() - os.freemem(),
    process_rss: mem.rss, heap_total: mem.heapTotal, heap_used: mem.heapUsed, external: mem.external, array_buffers: mem.arrayBuffers,
  };
  if (pick.has('disk')) {
    try {
      const s = statfsSync(ctx.config.rootPath);
      out.disk = { path: ctx.config.rootPath, size: s.blocks * s.bsize, available: s.bavail * s.bsize, used: (s.blocks - s.bfree) * s.bsize };
    } catch (err) {
      out.disk = { path: ctx.config.rootPath, error: (err as Error).message };
    }
  }
  if (pick.has('network')) out.network = { operations_port: ctx.node.ports.operations, http_port: ctx.node.ports.http, clustering_port: ctx.node.ports.clustering };
  if (pick.has('harperdb_processes')) out.harperdb_processes = { core: [{ pid: process.pid, rss: mem.rss, uptime: Math.round(process.uptime()) }], clustering: [] };
  if (pick.has('table_size')) {
    const sizes: unknown[] = [];
    for (const db of ctx.catalog.databases()) for (const t of ctx.catalog.tables(db.name)) {
      sizes.push({ database: db.name, schema: db.name, table: t.name, record_count: ctx.records.count(t), change_log_entries: ctx.changelog.countAfter(db.name, t.name, 0) });
    }
    out.table_size = sizes;
  }
  if (pick.has('storage')) out.storage = ctx.records.engine.stats();
  for (const [name, provide] of ctx.statusProviders) if (pick.has(name as (typeof SECTIONS)[number]) || wanted === undefined) out[name] = provide();
  return out;
}

export function registerSystemOperations(r: OperationRegistry): void {
  r.register({ name: 'system_information', handler: systemInformation, superUserOnly: true });
  r.register({ name: 'get_configuration', handler: (_b, ctx) => redactConfig(ctx.config), superUserOnly: true });
}
