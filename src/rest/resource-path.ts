/**
 * Resolving REST paths and MQTT topics to a table and record: `/{database}/{table}/{id}` and
 * `/{table}/{id}` in the default database 'data' (HarperDB's default, as in the operations
 * API). The explicit database form wins when both could match. Pure apart from the lookup.
 */
import type { PrimaryKey } from '../changelog/entry.js';
import { DbError } from '../errors/db-error.js';
import { SUFFIXES, type Format } from './content.js';

export const DEFAULT_DATABASE = 'data';

export interface ResolvedPath {
  database: string;
  table: string;
  /**
   * What the rest of the path names: 'table' (no trailing slash: the description), 'collection'
   * (trailing slash, or a query string), 'record' (an id) or 'prefix' (`/t/<id>/`: ids starting so).
   */
  target: 'table' | 'collection' | 'record' | 'prefix';
  /** The id as written (segments after the table joined by '/'). */
  id: string | null;
  /** A format chosen by a .json/.csv/.cbor/.msgpack suffix. */
  format: Format | null;
}

export type TableExists = (database: string, table: string) => boolean;

/** Splits a URL path (already without the query) into decoded segments and a trailing-slash flag. */
export function splitPath(path: string): { segments: string[]; trailingSlash: boolean } {
  const trimmed = path.replace(/^\/+/, '');
  const trailingSlash = trimmed.endsWith('/');
  const raw = trimmed.split('/');
  if (trailingSlash) raw.pop();
  const segments = raw.map((s) => {
    try {
      return decodeURIComponent(s);
    } catch {
      throw new DbError('VALIDATION_FAILED', `the path is not valid percent-encoding`);
    }
  });
  return { segments: segments.filter((s, i) => s !== '' || i > 0), trailingSlash };
}

/** Resolves a path to a table; throws 404 in HarperDB's words when no table matches. */
export function resolvePath(path: string, hasQuery: boolean, exists: TableExists, hasDatabase: (name: string) => boolean = () => false): ResolvedPath {
  const { segments, trailingSlash } = splitPath(path);
  let format: Format | null = null;
  const last = segments[segments.length - 1];
  if (last !== undefined) {
    const dot = last.lastIndexOf('.');
    const suffix = dot >= 0 ? SUFFIXES[last.slice(dot).toLowerCase()] : undefined;
    if (suffix) {
      format = suffix;
      segments[segments.length - 1] = last.slice(0, dot);
    }
  }
  if (segments.length === 0 || segments[0] === '') throw new DbError('NOT_FOUND', 'Not Found');
  let database: string, table: string, rest: string[];
  if (segments.length >= 2 && exists(segments[0]!, segments[1]!)) {
    [database, table, rest] = [segments[0]!, segments[1]!, segments.slice(2)];
  } else if (exists(DEFAULT_DATABASE, segments[0]!)) {
    [database, table, rest] = [DEFAULT_DATABASE, segments[0]!, segments.slice(1)];
  } else if (segments.length >= 2 && hasDatabase(segments[0]!)) {
    throw new DbError('NOT_FOUND', `Table '${segments[0]}.${segments[1]}' does not exist`);
  } else {
    throw new DbError('NOT_FOUND', `Table '${DEFAULT_DATABASE}.${segments[0]}' does not exist`);
  }
  // A suffix on its own (`/Table/.csv`) leaves an empty last segment: the collection.
  if (rest.length && rest[rest.length - 1] === '') { rest = rest.slice(0, -1); return { database, table, target: 'collection', id: null, format }; }
  if (!rest.length) return { database, table, target: trailingSlash || hasQuery || format ? 'collection' : 'table', id: null, format };
  const id = rest.join('/');
  return { database, table, target: trailingSlash ? 'prefix' : 'record', id, format };
}

/**
 * Candidate primary keys for an id written in a path or topic: a canonical number is tried as
 * a number first, then as the string; anything else is a string.
 */
export function keyCandidates(id: string): PrimaryKey[] {
  if (/^-?(0|[1-9]\d*)(\.\d+)?$/.test(id) && String(Number(id)) === id) return [Number(id), id];
  return [id];
}
