/** read_log (the node's log file), read_audit_log / read_transaction_log (the change log). */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ChangeEntry } from '../../changelog/entry.js';
import { hlcToMillis } from '../../changelog/hlc.js';
import { invalid } from '../../errors/db-error.js';
import { LOG_FILE_NAME } from '../../log/logger.js';
import type { Body, OperationContext } from '../context.js';
import { databaseOf, optionalInt, optionalString, requireString } from '../fields.js';
import type { OperationRegistry } from '../registry.js';

const LEVELS: Record<string, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 };

function toMillis(v: unknown, field: string): number | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  const n = typeof v === 'number' ? v : Date.parse(String(v));
  if (!Number.isFinite(n)) throw invalid(`'${field}' must be a date or epoch milliseconds`);
  return n;
}

/** The log file and its rotated siblings, oldest first. */
function logFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const rotated = readdirSync(dir).filter((f) => f !== LOG_FILE_NAME && f.includes(LOG_FILE_NAME)).sort();
  return [...rotated.map((f) => join(dir, f)), join(dir, LOG_FILE_NAME)].filter((f) => existsSync(f));
}

function readLog(body: Body, ctx: OperationContext) {
  const limit = optionalInt(body, 'limit', 1) ?? 1000;
  const start = optionalInt(body, 'start') ?? 0;
  const level = optionalString(body, 'level');
  if (level !== undefined && !(level in LEVELS)) throw invalid(`'level' must be one of ${Object.keys(LEVELS).join(', ')}`);
  const from = toMillis(body.from, 'from');
  const until = toMillis(body.until, 'until');
  const order = optionalString(body, 'order') ?? 'desc';
  if (order !== 'asc' && order !== 'desc') throw invalid(`'order' must be 'asc' or 'desc'`);
  const dir = ctx.node.logDir;
  const entries: Record<string, unknown>[] = [];
  for (const file of dir ? logFiles(dir) : []) {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (!line) continue;
      let parsed: Record<string, unknown>;
      try { parsed = JSON.parse(line) as Record<string, unknown>; } catch { continue; }
      const { level: lv, time, msg, pid: _pid, hostname: _host, node: _node, ...rest } = parsed;
      if (level !== undefined && lv !== level) continue;
      const ts = Date.parse(String(time));
      if (from !== undefined && ts < from) continue;
      if (until !== undefined && ts > until) continue;
      entries.push({ level: lv, message: msg, timestamp: time, ...(Object.keys(rest).length ? { details: rest } : {}) });
    }
  }
  if (order === 'desc') entries.reverse();
  return entries.slice(start, start + limit);
}

function auditShape(e: ChangeEntry) {
  return {
    operation: e.op,
    user_name: e.user,
    timestamp: hlcToMillis(e.hlc),
    hash_values: [e.key],
    ...(e.record ? { records: [e.record] } : {}),
    origin: e.origin,
    hlc: e.hlc,
    seq: e.seq,
  };
}

function readAuditLog(body: Body, ctx: OperationContext) {
  const database = databaseOf(body);
  const table = requireString(body, 'table');
  ctx.catalog.getTable(database, table);
  const type = optionalString(body, 'search_type');
  const values = body.search_values;
  if (type !== undefined && !['timestamp', 'username', 'hash_value'].includes(type)) throw invalid(`'search_type' must be timestamp, username or hash_value`);
  if (type !== undefined && !Array.isArray(values)) throw invalid(`'search_values' must be an array`);
  const limit = optionalInt(body, 'limit', 1) ?? 10000;
  let from = toMillis(body.from, 'from') ?? -Infinity;
  let to = toMillis(body.to, 'to') ?? Infinity;
  if (type === 'timestamp') {
    const [a, b] = values as unknown[];
    from = toMillis(a, 'search_values[0]') ?? -Infinity;
    to = toMillis(b, 'search_values[1]') ?? Infinity;
  }
  const names = type === 'username' ? new Set(values as unknown[]) : null;
  const keys = type === 'hash_value' ? new Set(values as unknown[]) : null;
  const out: unknown[] = [];
  for (const e of ctx.changelog.readTable(database, table)) {
    const t = hlcToMillis(e.hlc);
    if (t < from || t > to) continue;
    if (names && !names.has(e.user)) continue;
    if (keys && !keys.has(e.key)) continue;
    out.push(auditShape(e));
    if (out.length >= limit) break;
  }
  return out;
}

export function registerLogOperations(r: OperationRegistry): void {
  r.register({ name: 'read_log', handler: readLog, superUserOnly: true });
  r.register({ name: 'read_audit_log', handler: readAuditLog, superUserOnly: true }, 'read_transaction_log');
}
