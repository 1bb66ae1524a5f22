/**
 * Reads `system_information` and `read_log` answers defensively: shows what is present under
 * the names HarperDB and FerryDB use, and never invents a value. Pure.
 */

import { formatBytes, formatDuration, formatTimestamp } from './format.js';

type Unit = 'text' | 'bytes' | 'seconds' | 'ms' | 'percent' | 'decimal';

interface FactSpec {
  readonly label: string;
  readonly paths: readonly string[];
  readonly unit: Unit;
}

/** Candidate locations of each headline fact, first match wins. */
const FACTS: readonly FactSpec[] = [
  { label: 'Version', paths: ['version', 'ferrydb_version', 'system.version', 'system.ferrydb_version', 'system.hdb_version'], unit: 'text' },
  { label: 'Node name', paths: ['node_name', 'system.node_name', 'clustering.node_name'], unit: 'text' },
  { label: 'Host name', paths: ['system.hostname', 'hostname'], unit: 'text' },
  { label: 'Platform', paths: ['system.platform', 'platform'], unit: 'text' },
  { label: 'Architecture', paths: ['system.arch', 'arch'], unit: 'text' },
  { label: 'Node.js', paths: ['system.node_version', 'node_version', 'process.node_version'], unit: 'text' },
  { label: 'Process uptime', paths: ['process.uptime_ms', 'uptime_ms', 'system.process_uptime_ms'], unit: 'ms' },
  { label: 'Process uptime', paths: ['time.process_uptime', 'process.uptime', 'uptime', 'system.process_uptime'], unit: 'seconds' },
  { label: 'System uptime', paths: ['time.uptime', 'system.uptime'], unit: 'seconds' },
  { label: 'Memory total', paths: ['memory.total'], unit: 'bytes' },
  { label: 'Memory free', paths: ['memory.free', 'memory.available'], unit: 'bytes' },
  { label: 'Memory used', paths: ['memory.used', 'memory.active'], unit: 'bytes' },
  { label: 'Process RSS', paths: ['memory.process_rss', 'memory.rss', 'process.memory.rss', 'process.rss'], unit: 'bytes' },
  { label: 'Process heap used', paths: ['memory.heap_used', 'memory.heapUsed', 'process.memory.heapUsed', 'process.memory.heap_used'], unit: 'bytes' },
  { label: 'Disk size', paths: ['disk.size', 'disk.total'], unit: 'bytes' },
  { label: 'Disk used', paths: ['disk.used'], unit: 'bytes' },
  { label: 'Disk free', paths: ['disk.available', 'disk.free'], unit: 'bytes' },
  { label: 'Database size', paths: ['disk.database_bytes', 'database_size', 'disk.data_size', 'table_size_total'], unit: 'bytes' },
  { label: 'CPU', paths: ['cpu.brand', 'cpu.model'], unit: 'text' },
  { label: 'CPU cores', paths: ['cpu.cores', 'cpu.count'], unit: 'text' },
  { label: 'CPU load', paths: ['cpu.current_load.currentLoad', 'cpu.load_percent'], unit: 'percent' },
  { label: 'Load average (1 min)', paths: ['cpu.load_average.0', 'cpu.loadavg.0'], unit: 'decimal' },
];

export function getPath(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

function formatFact(v: unknown, unit: Unit): string | null {
  if (unit === 'text') return typeof v === 'string' || typeof v === 'number' ? String(v) : null;
  if (typeof v !== 'number' || !Number.isFinite(v)) return null;
  switch (unit) {
    case 'bytes': return formatBytes(v);
    case 'seconds': return formatDuration(v * 1000);
    case 'ms': return formatDuration(v);
    case 'percent': return `${v.toFixed(1)} %`;
    case 'decimal': return v.toFixed(2);
  }
}

export interface Fact {
  readonly label: string;
  readonly value: string;
  readonly path: string;
}

/** The headline facts found in a system_information answer, in display order. */
export function systemFacts(info: unknown): Fact[] {
  const out: Fact[] = [];
  const seen = new Set<string>();
  for (const spec of FACTS) {
    if (seen.has(spec.label)) continue;
    for (const path of spec.paths) {
      const value = formatFact(getPath(info, path), spec.unit);
      if (value !== null) {
        out.push({ label: spec.label, value, path });
        seen.add(spec.label);
        break;
      }
    }
  }
  return out;
}

/**
 * Every scalar leaf as `a.b.c = value`, for the "all fields" view; arrays of objects are
 * indexed (`disk.size.0.mount`). Capped so a huge answer cannot freeze the page.
 */
export function flattenLeaves(value: unknown, max = 400): { path: string; value: string }[] {
  const out: { path: string; value: string }[] = [];
  const walk = (v: unknown, path: string): void => {
    if (out.length >= max) return;
    if (v !== null && typeof v === 'object') {
      const entries = Array.isArray(v) ? v.map((x, i) => [String(i), x] as const) : Object.entries(v);
      if (entries.length === 0) out.push({ path, value: Array.isArray(v) ? '[]' : '{}' });
      for (const [k, x] of entries) walk(x, path ? `${path}.${k}` : k);
      return;
    }
    out.push({ path, value: v === undefined ? '' : String(v) });
  };
  walk(value, '');
  return out;
}

export interface LogLine {
  readonly level: string;
  readonly message: string;
  readonly timestamp: string;
}

/** pino numeric levels, in case a node returns raw pino entries. */
const PINO_LEVELS: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };

/** Normalises `read_log` output (an array of entries; some servers wrap it in an object). */
export function normalizeLogs(raw: unknown): LogLine[] {
  const list = Array.isArray(raw)
    ? raw
    : raw !== null && typeof raw === 'object' && Array.isArray((raw as Record<string, unknown>)['logs'])
      ? ((raw as Record<string, unknown>)['logs'] as unknown[])
      : [];
  return list.map((entry): LogLine => {
    if (entry === null || typeof entry !== 'object') return { level: '', message: String(entry), timestamp: '' };
    const e = entry as Record<string, unknown>;
    const lvl = e['level'];
    const level = typeof lvl === 'number' ? (PINO_LEVELS[lvl] ?? String(lvl)) : typeof lvl === 'string' ? lvl : '';
    const msg = e['message'] ?? e['msg'];
    const base = typeof msg === 'string' ? msg : msg === undefined ? JSON.stringify(e) : JSON.stringify(msg);
    const details = e['details'];
    const message = details !== undefined && details !== null ? `${base} ${JSON.stringify(details)}` : base;
    return { level, message, timestamp: formatTimestamp(e['timestamp'] ?? e['time']) };
  });
}
