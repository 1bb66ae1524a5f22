/**
 * read_log: the node's log file (and its rotated siblings), HarperDB's fields: `start`, `limit`
 * (default 1000), `level`, `from`, `until`, `order` ('desc' default: newest first, or 'asc').
 * Start-up and shutdown lines are written at the `notify` level, so they are there at any
 * configured level (like HarperDB's).
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { invalid } from '../../errors/db-error.js';
import { LOG_FILE_NAME } from '../../log/logger.js';
import type { Body, OperationContext } from '../context.js';
import { optionalInt, optionalString } from '../fields.js';

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'notify'];

function dateOf(v: unknown, field: string): number | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : Date.parse(String(v));
  if (!Number.isFinite(n)) throw invalid(`'${field}' must be a valid date`);
  return n;
}

/** The log file and its rotated siblings, oldest first. */
function logFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const rotated = readdirSync(dir).filter((f) => f !== LOG_FILE_NAME && f.includes(LOG_FILE_NAME)).sort();
  return [...rotated.map((f) => join(dir, f)), join(dir, LOG_FILE_NAME)].filter((f) => existsSync(f));
}

export function readLog(body: Body, ctx: OperationContext) {
  const limit = optionalInt(body, 'limit', 1) ?? 1000;
  const start = optionalInt(body, 'start') ?? 0;
  const level = optionalString(body, 'level');
  if (level !== undefined && !LEVELS.includes(level)) throw invalid(`'level' must be one of ${LEVELS.join(', ')}`);
  const from = dateOf(body.from, 'from');
  const until = dateOf(body.until, 'until');
  const order = optionalString(body, 'order') ?? 'desc';
  if (order !== 'asc' && order !== 'desc') throw invalid(`'order' must be one of asc, desc`);
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
      entries.push({ level: lv, message: msg, timestamp: time, thread: 'main', ...(Object.keys(rest).length ? { tags: [], details: rest } : {}) });
    }
  }
  if (order === 'desc') entries.reverse();
  return entries.slice(start, start + limit);
}
