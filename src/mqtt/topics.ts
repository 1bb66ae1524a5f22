/**
 * Pure MQTT topic handling: topics are REST paths without the leading slash,
 * `{database}/{table}/{id}` or `{table}/{id}` in the default database, and filters may use `+`
 * and `#` after the table. Matching follows MQTT 3.1.1 section 4.7.
 */
import { DbError } from '../errors/db-error.js';
import { DEFAULT_DATABASE, type TableExists } from '../rest/resource-path.js';

export interface TopicTarget {
  database: string;
  table: string;
  /** The record id (segments after the table), or null for the table itself. */
  id: string | null;
  /** True when the topic named the database explicitly (changes are sent back in that form). */
  explicitDatabase: boolean;
}

/** True when a topic name matches a subscription filter (`+` one level, `#` the rest). */
export function topicMatches(filter: string, topic: string): boolean {
  if (filter === topic) return true;
  const f = filter.split('/'), t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    const part = f[i]!;
    if (part === '#') return i <= t.length && (i > 0 || !topic.startsWith('$'));
    if (i >= t.length) return false;
    if (part === '+') { if (i === 0 && t[0]!.startsWith('$')) return false; continue; }
    if (part !== t[i]) return false;
  }
  return f.length === t.length;
}

/** Checks a filter's syntax (wildcards whole levels, '#' last); returns an error message or null. */
export function filterProblem(filter: string): string | null {
  if (!filter) return 'an empty topic filter';
  const parts = filter.split('/');
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!;
    if (p.includes('#') && (p !== '#' || i !== parts.length - 1)) return `'#' must be the last level of '${filter}'`;
    if (p.includes('+') && p !== '+') return `'+' must be a whole level in '${filter}'`;
  }
  return null;
}

/** Resolves a topic name (no wildcards) to a table and id; throws NOT_FOUND when no table matches. */
export function resolveTopic(topic: string, exists: TableExists): TopicTarget {
  // The common shape (`db/table/id`, `table/id`, no leading slash, no wildcard) without splitting.
  if (topic.charCodeAt(0) !== 0x2f && !topic.includes('+') && !topic.includes('#')) {
    const a = topic.indexOf('/');
    if (a > 0) {
      const b = topic.indexOf('/', a + 1);
      const second = b < 0 ? topic.slice(a + 1) : topic.slice(a + 1, b);
      const first = topic.slice(0, a);
      if (exists(first, second)) return { database: first, table: second, id: b < 0 ? null : topic.slice(b + 1) || null, explicitDatabase: true };
      if (exists(DEFAULT_DATABASE, first)) return { database: DEFAULT_DATABASE, table: first, id: topic.slice(a + 1) || null, explicitDatabase: false };
      throw new DbError('NOT_FOUND', `topic '${topic}' names no table`);
    }
  }
  const s = topic.replace(/^\/+/, '').split('/');
  if (s.some((x) => x.includes('+') || x.includes('#'))) throw new DbError('VALIDATION_FAILED', `topic '${topic}' has wildcards`);
  if (s.length >= 2 && exists(s[0]!, s[1]!)) return { database: s[0]!, table: s[1]!, id: s.length > 2 ? s.slice(2).join('/') || null : null, explicitDatabase: true };
  if (s[0] && exists(DEFAULT_DATABASE, s[0])) return { database: DEFAULT_DATABASE, table: s[0], id: s.length > 1 ? s.slice(1).join('/') || null : null, explicitDatabase: false };
  throw new DbError('NOT_FOUND', `topic '${topic}' names no table`);
}

/**
 * The table a subscription filter reads: the levels before any wildcard must name a table
 * (`db/table/#`, `table/+`, `db/table/42`). Throws NOT_FOUND when they do not.
 */
export function resolveFilter(filter: string, exists: TableExists): TopicTarget {
  const s = filter.split('/');
  const literal = (i: number) => s[i] !== undefined && s[i] !== '+' && s[i] !== '#';
  if (literal(0) && literal(1) && exists(s[0]!, s[1]!)) return { database: s[0]!, table: s[1]!, id: s.length > 2 ? s.slice(2).join('/') : null, explicitDatabase: true };
  if (literal(0) && exists(DEFAULT_DATABASE, s[0]!)) return { database: DEFAULT_DATABASE, table: s[0]!, id: s.length > 1 ? s.slice(1).join('/') : null, explicitDatabase: false };
  throw new DbError('NOT_FOUND', `topic filter '${filter}' names no table (wildcards are accepted after the table)`);
}

/** The topic a change of a record is published on, in the form the subscriber used. */
export function recordTopic(target: Pick<TopicTarget, 'database' | 'table' | 'explicitDatabase'>, key: string | number): string {
  return target.explicitDatabase ? `${target.database}/${target.table}/${key}` : `${target.table}/${key}`;
}
