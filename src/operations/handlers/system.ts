/**
 * system_information (HarperDB's sections and fields, FerryDB's own figures as extras),
 * registration_info, get_fingerprint, get_components (users and roles: users.ts; configuration:
 * configuration.ts).
 */
import { createHash } from 'node:crypto';
import { readFileSync, statfsSync } from 'node:fs';
import * as os from 'node:os';
import { performance } from 'node:perf_hooks';
import { invalid } from '../../errors/db-error.js';
import type { Body, OperationContext } from '../context.js';
import type { OperationRegistry } from '../registry.js';

export const SECTIONS = ['system', 'time', 'cpu', 'memory', 'disk', 'network', 'harperdb_processes', 'table_size', 'metrics', 'threads', 'storage', 'replication'] as const;

/** /proc/meminfo in bytes (Linux); empty elsewhere. */
function meminfo(): Record<string, number> {
  const out: Record<string, number> = {};
  try {
    for (const line of readFileSync('/proc/meminfo', 'utf8').split('\n')) {
      const m = /^(\w+(?:\(\w+\))?):\s+(\d+)\s*kB/.exec(line);
      if (m) out[m[1]!] = Number(m[2]) * 1024;
    }
  } catch { /* not Linux */ }
  return out;
}

function timezoneOffset(): string {
  const minutes = -new Date().getTimezoneOffset();
  const sign = minutes >= 0 ? '+' : '-';
  const abs = Math.abs(minutes);
  return `GMT${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}${String(abs % 60).padStart(2, '0')}`;
}

function memorySection() {
  const mem = process.memoryUsage();
  const info = meminfo();
  const total = os.totalmem(), free = os.freemem();
  const available = info.MemAvailable ?? free;
  const swaptotal = info.SwapTotal ?? 0, swapfree = info.SwapFree ?? 0;
  return {
    total, free, used: total - free, active: info.Active ?? total - available, available,
    buffers: info.Buffers ?? 0, cached: info.Cached ?? 0, slab: info.Slab ?? 0, buffcache: (info.Buffers ?? 0) + (info.Cached ?? 0),
    swaptotal, swapused: swaptotal - swapfree, swapfree,
    // FerryDB's own figures
    process_rss: mem.rss, heap_total: mem.heapTotal, heap_used: mem.heapUsed, external: mem.external, array_buffers: mem.arrayBuffers,
  };
}

function networkSection(ctx: OperationContext) {
  const interfaces = Object.entries(os.networkInterfaces()).map(([iface, addrs]) => {
    const v4 = addrs?.find((a) => a.family === 'IPv4'), v6 = addrs?.find((a) => a.family === 'IPv6');
    return { iface, ifaceName: iface, ip4: v4?.address ?? '', ip6: v6?.address ?? '', mac: v4?.mac ?? v6?.mac ?? '', internal: Boolean(v4?.internal ?? v6?.internal) };
  });
  const ext = interfaces.find((i) => !i.internal && i.ip4);
  return {
    default_interface: ext?.iface ?? interfaces[0]?.iface ?? null, latency: {}, interfaces, stats: [], connections: [],
    operations_port: ctx.node.ports.operations, http_port: ctx.node.ports.http, clustering_port: ctx.node.ports.clustering,
  };
}

function systemInformation(body: Body, ctx: OperationContext) {
  const wanted = body.attributes;
  if (wanted !== undefined && (!Array.isArray(wanted) || wanted.some((a) => typeof a !== 'string'))) throw invalid(`'attributes' must be an array of strings`);
  const pick = new Set<string>((wanted as string[] | undefined) ?? SECTIONS);
  const out: Record<string, unknown> = {};
  if (pick.has('system')) out.system = {
    platform: process.platform, distro: os.type(), release: os.release(), codename: '', kernel: os.release(), arch: process.arch, hostname: os.hostname(),
    node_version: process.version.replace(/^v/, ''), npm_version: process.env.npm_config_user_agent?.match(/npm\/(\S+)/)?.[1] ?? null,
    hdb_version: ctx.node.version, ferrydb_version: ctx.node.version, node_name: ctx.node.nodeName,
  };
  if (pick.has('time')) out.time = {
    current: Date.now(), uptime: Math.round(os.uptime()), timezone: timezoneOffset(),
    timezoneName: Intl.DateTimeFormat().resolvedOptions().timeZone, process_uptime: Math.round((Date.now() - ctx.node.startedAt) / 1000),
  };
  if (pick.has('cpu')) {
    const cpus = os.cpus();
    const usage = process.cpuUsage();
    const [avg] = os.loadavg();
    out.cpu = {
      manufacturer: cpus[0]?.model.split(' ')[0] ?? 'unknown', brand: cpus[0]?.model ?? 'unknown', vendor: '', speed: (cpus[0]?.speed ?? 0) / 1000,
      cores: cpus.length, physicalCores: cpus.length, processors: 1,
      cpu_speed: { min: Math.min(...cpus.map((c) => c.speed)) / 1000, max: Math.max(...cpus.map((c) => c.speed)) / 1000, avg: cpus.reduce((a, c) => a + c.speed, 0) / Math.max(1, cpus.length) / 1000, cores: cpus.map((c) => c.speed / 1000) },
      current_load: { avgLoad: avg ?? 0, currentLoad: Math.min(100, ((avg ?? 0) / Math.max(1, cpus.length)) * 100), cpus: [] },
      load_average: os.loadavg(), process_user_ms: Math.round(usage.user / 1000), process_system_ms: Math.round(usage.system / 1000),
    };
  }
  if (pick.has('memory')) out.memory = memorySection();
  if (pick.has('disk')) {
    try {
      const s = statfsSync(ctx.config.rootPath);
      const size = s.blocks * s.bsize, used = (s.blocks - s.bfree) * s.bsize;
      out.disk = {
        io: {}, read_write: {}, size: [{ fs: ctx.config.rootPath, type: '', size, used, available: s.bavail * s.bsize, use: size ? Math.round((used / size) * 10000) / 100 : 0, mount: ctx.config.rootPath }],
        path: ctx.config.rootPath, available: s.bavail * s.bsize, used,
      };
    } catch (err) {
      out.disk = { path: ctx.config.rootPath, error: (err as Error).message };
    }
  }
  if (pick.has('network')) out.network = networkSection(ctx);
  if (pick.has('harperdb_processes')) {
    const mem = process.memoryUsage();
    out.harperdb_processes = { core: [{ pid: process.pid, name: 'ferrydb', parentPid: process.ppid, rss: mem.rss, uptime: Math.round(process.uptime()) }], clustering: [] };
  }
  if (pick.has('table_size')) {
    const sizes: unknown[] = [];
    for (const db of ctx.catalog.databases()) for (const t of ctx.catalog.tables(db.name)) {
      const logEntries = ctx.changelog.countAfter(db.name, t.name, 0);
      sizes.push({ schema: db.name, database: db.name, table: t.name, record_count: ctx.records.count(t), transaction_log_record_count: logEntries, change_log_entries: logEntries });
    }
    out.table_size = sizes;
  }
  if (pick.has('threads')) out.threads = [{ threadId: 0, name: 'main', ...process.memoryUsage() }];
  if (pick.has('metrics')) out.metrics = { event_loop_utilization: performance.eventLoopUtilization().utilization };
  if (pick.has('storage')) out.storage = ctx.records.engine.stats();
  for (const [name, provide] of ctx.statusProviders) if (pick.has(name) || wanted === undefined) out[name] = provide();
  return out;
}

/** A stable identifier of this node's installation: host name and root path, hashed. */
function fingerprint(ctx: OperationContext): string {
  return createHash('sha256').update(`${os.hostname()}\u0000${ctx.config.rootPath}\u0000${ctx.node.nodeName}`).digest('hex');
}

export function registerSystemOperations(r: OperationRegistry): void {
  r.register({ name: 'system_information', handler: systemInformation, superUserOnly: true });
  // FerryDB needs no licence: registration answers what a HarperDB client reads, honestly.
  r.register({ name: 'registration_info', superUserOnly: false, anyUser: true, handler: (_b, ctx) => ({
    registered: true, version: ctx.node.version, ram_allocation: Math.round(os.totalmem() / 1024 / 1024), license_expiration_date: null,
    license: 'none needed (FerryDB is Apache-2.0 licensed)',
  }) });
  r.register({ name: 'get_fingerprint', superUserOnly: true, handler: (_b, ctx) => fingerprint(ctx) });
  // FerryDB has no components: the list is honestly empty.
  r.register({ name: 'get_components', superUserOnly: true, handler: () => ({ name: 'components', entries: [] }) });
}
