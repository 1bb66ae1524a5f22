/**
 * REST on the HTTP port, HarperDB's way: GET/HEAD a record, a table description or a query on
 * the collection; PUT replaces, PATCH merges, POST to the collection creates with a generated
 * key (201 + Location), DELETE a record or a query. Same users, permission rule and write path
 * as the operations API. Responses and errors in the negotiated format.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { assertTableAccess, readableAttributes } from '../auth/permissions.js';
import type { User } from '../auth/users.js';
import type { TableDef } from '../catalog/catalog.js';
import type { PrimaryKey, RecordData } from '../changelog/entry.js';
import { DbError, invalid } from '../errors/db-error.js';
import { errorResponse } from '../http/error-response.js';
import { sendJsonRows } from '../http/row-response.js';
import type { Logger } from '../log/logger.js';
import type { Services } from '../operations/context.js';
import { describeTableDef } from '../operations/handlers/schema.js';
import { RowStream } from '../operations/row-stream.js';
import type { Condition, Group } from '../records/conditions.js';
import { indexableConditions, type QueryOptions } from '../records/search.js';
import { bodyFormat, decodeBody, encodeBody, MEDIA_TYPES, negotiate, type Format } from './content.js';
import type { IngestObserver } from './observer.js';
import { parseRestQuery } from './query-string.js';
import { keyCandidates, resolvePath, type ResolvedPath } from './resource-path.js';

export interface RestHandlerOptions {
  services: Services;
  bodyLimit: number;
  observer: IngestObserver;
  logger: Logger;
  /** Takes over GET requests that ask for text/event-stream (real-time SSE). */
  serveEvents?: (req: IncomingMessage, res: ServerResponse, target: ResolvedPath, user: User) => void;
}

const METHODS = ['GET', 'HEAD', 'PUT', 'PATCH', 'POST', 'DELETE', 'OPTIONS'];
const ALLOW: Record<ResolvedPath['target'], string> = {
  table: 'GET, HEAD, OPTIONS',
  collection: 'GET, HEAD, POST, DELETE, OPTIONS',
  prefix: 'GET, HEAD, DELETE, OPTIONS',
  record: 'GET, HEAD, PUT, PATCH, DELETE, OPTIONS',
};

/** The ETag of a stored record: its version (hybrid logical clock time stamp). */
export function etagOf(hlc: number): string {
  return `"${hlc.toString(36)}"`;
}

/** True when an If-None-Match header matches an ETag (weak comparison, '*' matches any). */
export function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(',').some((t) => {
    const tag = t.trim();
    return tag === '*' || tag.replace(/^W\//, '') === etag;
  });
}

/** Builds the request handler for REST paths (everything on the HTTP port that is not /metrics). */
export function createRestHandler(opts: RestHandlerOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const { services, observer, logger } = opts;
  const exists = (database: string, table: string) => services.catalog.findTable(database, table) !== undefined;

  const send = (req: IncomingMessage, res: ServerResponse, status: number, format: Format, value: unknown, headers: Record<string, string> = {}) => {
    if (res.headersSent || res.destroyed) return;
    if (value === undefined) {
      res.writeHead(status, headers);
      return void res.end();
    }
    const body = encodeBody(format, value);
    res.writeHead(status, { 'content-type': format === 'json' ? 'application/json; charset=utf-8' : MEDIA_TYPES[format], 'content-length': String(body.length), ...headers });
    res.end(req.method === 'HEAD' ? undefined : body);
  };

  const fail = (req: IncomingMessage, res: ServerResponse, format: Format, err: unknown, headers?: Record<string, string>) => {
    const { status, body } = errorResponse(err, logger, { rest: `${req.method} ${req.url}` });
    send(req, res, status, format, JSON.parse(body), headers);
  };

  const readBody = (req: IncomingMessage): Promise<Buffer> => new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    const tooLarge = () => new DbError('PAYLOAD_TOO_LARGE', `Request body larger than ${opts.bodyLimit} bytes`);
    if (declared > opts.bodyLimit) { req.resume(); return reject(tooLarge()); }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > opts.bodyLimit) { req.destroy(); reject(tooLarge()); } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });

  const recordBody = async (req: IncomingMessage): Promise<RecordData> => {
    const format = bodyFormat(req.headers['content-type']);
    const raw = await readBody(req);
    if (raw.length === 0) throw invalid('a request body with one record is required');
    const value = decodeBody(format, raw);
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalid('the request body must be one record (an object)');
    return value as RecordData;
  };

  /** The key a path id names: an existing record's key when one matches, else the first candidate. */
  const keyFor = (def: TableDef, id: string): { key: PrimaryKey; stored: ReturnType<typeof storedOf> } => {
    const candidates = keyCandidates(id);
    for (const k of candidates) {
      const stored = storedOf(def, k);
      if (stored) return { key: k, stored };
    }
    return { key: candidates[0]!, stored: undefined };
  };
  const storedOf = (def: TableDef, key: PrimaryKey) => services.records.handle(def).data.get(key);

  const project = (record: RecordData, attrs: ReadonlySet<string> | null, select: string[] | null): RecordData => {
    if (!attrs && !select) return record;
    const out: RecordData = {};
    for (const a of select ?? Object.keys(record)) if ((!attrs || attrs.has(a)) && a in record) out[a] = record[a];
    return out;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse, format: Format, user: User): Promise<void> => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const query = q < 0 ? '' : url.slice(q + 1);
    const target = resolvePath(path, q >= 0, exists, (name) => services.catalog.hasDatabase(name));
    if (target.format) format = target.format;
    const def = services.catalog.getTable(target.database, target.table);
    const method = req.method!;
    if (method === 'OPTIONS') return send(req, res, 204, format, undefined, { allow: ALLOW[target.target] });
    if (!ALLOW[target.target].includes(method)) {
      res.setHeader('allow', ALLOW[target.target]);
      throw new DbError('METHOD_NOT_ALLOWED', `${method} is not allowed on ${path}`);
    }
    const hash = def.hashAttribute;
    if (method === 'GET' || method === 'HEAD') {
      const attrs = readableAttributes(user, def.database, def.name);
      if (opts.serveEvents && /text\/event-stream/.test(req.headers.accept ?? '')) return opts.serveEvents(req, res, target, user);
      if (target.target === 'table') return send(req, res, 200, format, describeTableDef(def, { ...services, user }));
      if (target.target === 'record') {
        const { stored } = keyFor(def, target.id!);
        if (!stored) throw new DbError('NOT_FOUND', `Record '${target.id}' was not found in ${def.database}.${def.name}`);
        const etag = etagOf(stored[0]);
        if (etagMatches(req.headers['if-none-match'], etag)) return send(req, res, 304, format, undefined, { etag });
        const rq = query ? parseRestQuery(query) : null;
        return send(req, res, 200, format, project(services.records.handle(def).view(stored), attrs, rq?.select ?? null), { etag });
      }
      const { q, select } = await queryOf(def, target, query);
      if (format === 'json' && method === 'GET') {
        // JSON is sent as it is read (a result of any size is never held whole); the other formats are encoded whole.
        const rows = new RowStream(services.records.queryBatches(def, q)).map((r) => project(r, attrs, select));
        return sendJsonRows(res, rows, { headers: { 'content-type': 'application/json; charset=utf-8' }, fail: (err) => fail(req, res, format, err) });
      }
      return send(req, res, 200, format, (await services.records.query(def, q)).map((r) => project(r, attrs, select)));
    }
    if (method === 'DELETE') {
      assertTableAccess(user, def.database, def.name, 'delete');
      let keys: PrimaryKey[];
      if (target.target === 'record') {
        const { key, stored } = keyFor(def, target.id!);
        if (!stored) throw new DbError('NOT_FOUND', `Record '${target.id}' was not found in ${def.database}.${def.name}`);
        keys = [key];
      } else {
        if (!query && target.target === 'collection') throw invalid('DELETE on a whole table needs a query string (use drop_table or delete with a condition)');
        keys = (await services.records.query(def, (await queryOf(def, target, query)).q)).map((r) => r[hash] as PrimaryKey);
      }
      const result = keys.length ? await services.records.delete(def, keys, user.username) : null;
      if (result) observer.rowsWritten('rest', def.database, def.name, result.written.length);
      return send(req, res, 204, format, undefined);
    }
    const record = await recordBody(req);
    if (method === 'POST') {
      assertTableAccess(user, def.database, def.name, 'insert', Object.keys(record));
      const result = await services.records.insert(def, [record], user.username);
      if (result.skipped.length) throw new DbError('CONFLICT', `Record '${String(result.skipped[0])}' already exists in ${def.database}.${def.name}`);
      observer.rowsWritten('rest', def.database, def.name, 1);
      const id = result.written[0]!;
      const base = path.replace(/\/+$/, '').replace(/\/\.[a-z]+$/, '');
      return send(req, res, 201, format, id, { location: `${base}/${encodeURIComponent(String(id))}` });
    }
    // PUT (replace) and PATCH (merge) of one record, keyed by the path.
    const attributes = Object.keys(record);
    assertTableAccess(user, def.database, def.name, 'insert', attributes);
    assertTableAccess(user, def.database, def.name, 'update', attributes);
    const given = record[hash];
    if (given !== undefined && given !== null && String(given) !== target.id) {
      throw invalid(`the record's primary key '${hash}' (${String(given)}) does not match the path ('${target.id}')`);
    }
    // The body's own key is the one written; only a body without it needs the stored record's key.
    if (given === undefined || given === null) record[hash] = keyFor(def, target.id!).key;
    const result = method === 'PUT'
      ? await services.records.replace(def, [record], user.username)
      : await services.records.upsert(def, [record], user.username);
    observer.rowsWritten('rest', def.database, def.name, result.written.length);
    return send(req, res, 204, format, undefined);
  };

  /** A collection query: the records query (its indexes built) and the attributes to return. */
  const queryOf = async (def: TableDef, target: ResolvedPath, query: string): Promise<{ q: QueryOptions; select: string[] | null }> => {
    const rq = parseRestQuery(query);
    let filter: Group | null = rq.filter;
    if (target.target === 'prefix') {
      const prefix: Condition = { kind: 'condition', attribute: def.hashAttribute, comparator: 'starts_with', value: target.id! };
      filter = filter ? { kind: 'group', operator: 'and', conditions: [prefix, filter] } : { kind: 'group', operator: 'and', conditions: [prefix] };
    }
    const wanted = indexableConditions(filter).map((c) => c.attribute);
    if (wanted.length) await services.records.ensureIndexed(def, wanted);
    return { q: { filter, sort: rq.sort, limit: rq.limit, offset: rq.offset }, select: rq.select };
  };

  return (req, res) => {
    const started = performance.now();
    let format: Format = 'json';
    try {
      format = negotiate(req.headers.accept);
    } catch { /* negotiate is total; keep JSON */ }
    const done = () => observer.observed('rest', req.method ?? 'GET', (performance.now() - started) / 1000);
    if (!METHODS.includes(req.method ?? '')) {
      req.resume();
      return fail(req, res, format, new DbError('METHOD_NOT_ALLOWED', `${req.method} is not supported`), { allow: METHODS.join(', ') });
    }
    const header = req.headers.authorization;
    const cached = services.users.cached(header);
    const run = (user: User) => handle(req, res, format, user).then(done, (err: unknown) => {
      if (req.readable) req.resume();
      fail(req, res, format, err);
    });
    if (cached) return void run(cached);
    services.users.authenticate(header, req.socket.remoteAddress ?? 'unknown').then(run, (err: unknown) => {
      req.resume();
      fail(req, res, format, err);
    });
  };
}
