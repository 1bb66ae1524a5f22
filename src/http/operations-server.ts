/**
 * The operations API over node:http: POST / with a JSON body, HTTP Basic or Bearer auth, HarperDB's
 * statuses and bodies; GET serves the Studio. The read path stays synchronous after the body
 * arrives: credentials come from the per-header cache and cached point reads never await.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { User } from '../auth/users.js';
import { DbError } from '../errors/db-error.js';
import type { Logger } from '../log/logger.js';
import type { Body, OperationContext, Services } from '../operations/context.js';
import type { OperationRegistry } from '../operations/registry.js';
import { RowStream } from '../operations/row-stream.js';
import { corsHeaders, isOriginAllowed, type CorsPolicy } from './cors.js';
import { errorResponse } from './error-response.js';
import { sendJsonRows, STREAM_ROWS } from './row-response.js';
import { applyServerLimits } from './server-limits.js';
import type { StudioFiles } from './studio-static.js';

export interface OperationsServerOptions {
  registry: OperationRegistry;
  services: Services;
  studio: StudioFiles | null;
  cors: CorsPolicy;
  bodyLimit: number;
  keepAliveTimeout: number;
  logger: Logger;
}

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8' };
const NOT_FOUND = JSON.stringify({ error: 'Not Found', statusCode: 404 });
/** Largest body looked at before authentication (token requests are tiny). */
const PUBLIC_BODY_LIMIT = 64 * 1024;
/** The caller of an operation that authenticates itself from its body. */
const ANONYMOUS: User = { username: '', active: false, role: { id: '', role: '', permission: {}, __createdtime__: 0, __updatedtime__: 0 } };

export function createOperationsServer(opts: OperationsServerOptions): Server {
  const { registry, services, logger } = opts;
  let inFlight = 0;
  // One context object per authenticated user, reused by every request (no per-request copy).
  const contexts = new WeakMap<User, OperationContext>();
  const contextOf = (user: User): OperationContext => {
    let ctx = contexts.get(user);
    if (!ctx) contexts.set(user, (ctx = { ...services, user }));
    return ctx;
  };

  const send = (res: ServerResponse, status: number, body: string, extra?: Record<string, string>) => {
    if (res.headersSent || res.destroyed) return;
    res.writeHead(status, extra ? { ...JSON_HEADERS, ...extra } : JSON_HEADERS);
    res.end(body);
  };

  const fail = (res: ServerResponse, err: unknown, extra?: Record<string, string>, context?: Record<string, unknown>) => {
    const { status, body } = errorResponse(err, logger, context);
    send(res, status, body, extra);
  };

  const respond = (res: ServerResponse, result: unknown, extra?: Record<string, string>, operation?: unknown) => {
    const value = typeof result === 'string' ? { message: result } : result === undefined ? { message: 'ok' } : result;
    if (value instanceof RowStream || (Array.isArray(value) && value.length > STREAM_ROWS)) {
      const headers = extra ? { ...JSON_HEADERS, ...extra } : JSON_HEADERS;
      sendJsonRows(res, value instanceof RowStream ? value : [value], { headers, fail: (err) => fail(res, err, extra, { operation }) })
        .catch((err: unknown) => { logger.warn({ err }, 'sending a large result failed'); res.destroy(); });
      return;
    }
    send(res, 200, JSON.stringify(value), extra);
  };

  const parse = (raw: Buffer): Body | DbError => {
    try {
      const parsed: unknown = JSON.parse(raw.toString('utf8'));
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return new DbError('VALIDATION_FAILED', `Request body must include an 'operation' property.`);
      return parsed as Body;
    } catch {
      return new DbError('INVALID_JSON', 'Invalid JSON.');
    }
  };

  const run = (res: ServerResponse, body: Body, ctx: OperationContext, extra?: Record<string, string>) => {
    let result: unknown;
    try {
      result = registry.dispatch(body, ctx);
    } catch (err) {
      return fail(res, err, extra, { operation: body.operation });
    }
    if (result instanceof Promise) {
      inFlight++;
      result.then((v) => respond(res, v, extra, body.operation), (err) => fail(res, err, extra, { operation: body.operation })).finally(() => inFlight--);
    } else respond(res, result, extra, body.operation);
  };

  const execute = (res: ServerResponse, body: Body | DbError, user: User, extra?: Record<string, string>) => {
    if (body instanceof DbError) return fail(res, body, extra);
    run(res, body, contextOf(user), extra);
  };

  const handlePost = (req: IncomingMessage, res: ServerResponse, extra?: Record<string, string>) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > opts.bodyLimit) {
      res.setHeader('connection', 'close');
      fail(res, new DbError('PAYLOAD_TOO_LARGE', `Request body larger than ${opts.bodyLimit} bytes`), extra);
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      if (tooLarge) return;
      size += chunk.length;
      if (size > opts.bodyLimit) {
        tooLarge = true;
        chunks.length = 0;
        res.setHeader('connection', 'close');
        fail(res, new DbError('PAYLOAD_TOO_LARGE', `Request body larger than ${opts.bodyLimit} bytes`), extra);
        return;
      }
      chunks.push(chunk);
    });
    req.on('error', () => { /* client went away; nothing was executed */ });
    req.on('end', () => {
      if (tooLarge) return;
      const raw = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      const header = req.headers.authorization;
      const address = req.socket.remoteAddress ?? 'unknown';
      // create_authentication_tokens / refresh_operation_token carry their credentials in the body and
      // always run under the caller's address (the failed-login limit), whatever header came along.
      const publicCtx = () => ({ ...services, user: ANONYMOUS, remoteAddress: address });
      const cached = services.users.cached(header);
      if (cached) {
        const body = parse(raw);
        if (!(body instanceof DbError) && registry.isPublic(body.operation)) return run(res, body, publicCtx(), extra);
        return execute(res, body, cached, extra);
      }
      // Unauthenticated bodies are parsed only when small enough to be a token request.
      const small = raw.length <= PUBLIC_BODY_LIMIT ? parse(raw) : null;
      if (small && !(small instanceof DbError) && registry.isPublic(small.operation)) return run(res, small, publicCtx(), extra);
      services.users.authenticate(header, address).then(
        (user) => execute(res, small ?? parse(raw), user, extra),
        (err) => fail(res, err, extra),
      );
    });
  };

  const server = createServer((req, res) => {
    let extra: Record<string, string> | undefined;
    const origin = req.headers.origin;
    if (origin && isOriginAllowed(opts.cors, origin, req.headers.host)) extra = corsHeaders(origin);
    if (req.method === 'POST' && (req.url === '/' || req.url?.startsWith('/?'))) return handlePost(req, res, extra);
    if (req.method === 'OPTIONS') {
      res.writeHead(204, extra ?? {});
      return void res.end();
    }
    if (req.method === 'GET' || req.method === 'HEAD') {
      if (req.url === '/health') return send(res, 200, JSON.stringify({ status: 'ok', node: services.node.nodeName }), extra);
      if (opts.studio && opts.studio.serve(req.url ?? '/', res)) return;
    }
    req.resume();
    send(res, 404, NOT_FOUND, extra);
  });
  applyServerLimits(server, opts.keepAliveTimeout);
  Object.defineProperty(server, 'inFlight', { get: () => inFlight });
  return server;
}
