/**
 * Real-time subscriptions on REST paths, over WebSocket and Server-Sent Events: the current
 * record(s) first, then every change of the record or collection in log order (deletes too),
 * whichever node made it. Each subscriber has a byte budget for unsent data; past it the
 * subscriber is disconnected with a reason instead of growing the node's memory.
 *
 * Message (JSON): {"type":"put","id":<key>,"value":{...},"timestamp":<ms>} or
 * {"type":"delete","id":<key>,"timestamp":<ms>}.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { readableAttributes } from '../auth/permissions.js';
import type { User } from '../auth/users.js';
import type { TableDef } from '../catalog/catalog.js';
import type { ChangeEntry, PrimaryKey, RecordData } from '../changelog/entry.js';
import { hlcToMillis } from '../changelog/hlc.js';
import { DbError, toDbError } from '../errors/db-error.js';
import { errorResponse } from '../http/error-response.js';
import type { WebSocket } from '../http/websocket-upgrade.js';
import type { Logger } from '../log/logger.js';
import type { Services } from '../operations/context.js';
import type { ChangeFeed } from '../realtime/change-feed.js';
import type { IngestObserver } from './observer.js';
import { keyCandidates, resolvePath, type ResolvedPath } from './resource-path.js';

export interface RealtimeOptions {
  services: Services;
  feed: ChangeFeed;
  maxBufferBytes: number;
  maxInitialRecords: number;
  observer: IngestObserver;
  logger: Logger;
}

/** WebSocket close code for a subscriber that fell too far behind (1008: policy violation). */
export const SLOW_SUBSCRIBER_CLOSE = 1008;

interface Sink {
  /** Sends one message; returns false once the subscriber is over budget (then disconnected). */
  send(message: Record<string, unknown>): boolean;
}

export class Realtime {
  readonly #opts: RealtimeOptions;

  constructor(opts: RealtimeOptions) {
    this.#opts = opts;
  }

  /** Starts a subscription: current state, then changes. Returns the stop function. */
  #subscribe(target: ResolvedPath, user: User, sink: Sink): () => void {
    const { services, feed, maxInitialRecords } = this.#opts;
    const def = services.catalog.getTable(target.database, target.table);
    const attrs = readableAttributes(user, def.database, def.name);
    const view = (r: RecordData): RecordData => {
      if (!attrs) return r;
      const out: RecordData = {};
      for (const a of Object.keys(r)) if (attrs.has(a)) out[a] = r[a];
      return out;
    };
    const keys = target.target === 'record' ? new Set<PrimaryKey>(keyCandidates(target.id!)) : null;
    const prefix = target.target === 'prefix' ? target.id! : null;
    const wanted = (key: PrimaryKey) => (keys ? keys.has(key) : prefix === null || String(key).startsWith(prefix));
    let stopped = false;
    const stop = feed.subscribe(def.database, def.name, (e: ChangeEntry) => {
      if (stopped || !wanted(e.key)) return;
      const message = e.op === 'delete' || !e.record
        ? { type: 'delete', id: e.key, timestamp: hlcToMillis(e.hlc) }
        : { type: 'put', id: e.key, value: view(e.record), timestamp: hlcToMillis(e.hlc) };
      if (!sink.send(message)) { stopped = true; stop(); }
    });
    for (const [key, hlc, record] of current(services, def, keys, prefix, maxInitialRecords)) {
      if (!sink.send({ type: 'put', id: key, value: view(record), timestamp: hlcToMillis(hlc) })) { stopped = true; stop(); break; }
    }
    return () => { stopped = true; stop(); };
  }

  /** Server-Sent Events on a REST path (the caller authenticated the user and resolved the path). */
  serveEvents(req: IncomingMessage, res: ServerResponse, target: ResolvedPath, user: User): void {
    const { maxBufferBytes, observer, logger } = this.#opts;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    res.write(': subscribed\n\n');
    let closed = false;
    const ping = setInterval(() => res.write(': ping\n\n'), 15_000);
    ping.unref();
    const close = () => { if (!closed) { closed = true; clearInterval(ping); stop(); } };
    const sink: Sink = {
      send: (message) => {
        if (closed) return false;
        res.write(`data: ${JSON.stringify(message)}\n\n`);
        if (res.writableLength > maxBufferBytes) {
          logger.warn({ path: req.url, user: user.username, buffered: res.writableLength }, 'SSE subscriber too slow; disconnected');
          observer.subscriberDropped('sse', 'slow');
          res.write(`event: error\ndata: ${JSON.stringify({ error: `subscriber too slow: more than ${maxBufferBytes} bytes unsent` })}\n\n`);
          res.destroy();
          close();
          return false;
        }
        return true;
      },
    };
    let stop: () => void = () => {};
    res.on('close', close);
    stop = this.#subscribe(target, user, sink);
    if (closed) stop();
  }

  /** Authenticates and resolves an upgrade request; on failure answers with the HTTP error and returns null. */
  async prepareUpgrade(req: IncomingMessage, socket: Duplex): Promise<{ user: User; target: ResolvedPath } | null> {
    const { services, logger } = this.#opts;
    try {
      const user = await services.users.authenticate(req.headers.authorization, req.socket.remoteAddress ?? 'unknown');
      const url = req.url ?? '/';
      const q = url.indexOf('?');
      const target = resolvePath(q < 0 ? url : url.slice(0, q), q >= 0, (d, t) => services.catalog.findTable(d, t) !== undefined, (name) => services.catalog.hasDatabase(name));
      readableAttributes(user, target.database, target.table);
      if (target.target === 'table') target.target = 'collection';
      return { user, target };
    } catch (err) {
      const e = toDbError(err);
      const { status, body } = errorResponse(e, logger);
      if (socket.writable) socket.end(`HTTP/1.1 ${status} ${e instanceof DbError ? e.code : 'Error'}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
      else socket.destroy();
      return null;
    }
  }

  /** A WebSocket subscription on an authenticated, resolved path. */
  serveWebSocket(ws: WebSocket, target: ResolvedPath, user: User): void {
    const { maxBufferBytes, observer, logger } = this.#opts;
    let closed = false;
    const sink: Sink = {
      send: (message) => {
        if (closed) return false;
        ws.send(JSON.stringify(message));
        if (ws.bufferedAmount > maxBufferBytes) {
          closed = true;
          logger.warn({ user: user.username, buffered: ws.bufferedAmount }, 'WebSocket subscriber too slow; disconnected');
          observer.subscriberDropped('websocket', 'slow');
          ws.close(SLOW_SUBSCRIBER_CLOSE, `subscriber too slow: more than ${maxBufferBytes} bytes unsent`);
          // The close frame waits behind the unsent data; do not wait for a reader that is not reading.
          setTimeout(() => ws.terminate(), 1000).unref();
          return false;
        }
        return true;
      },
    };
    // Messages from the client are not part of the protocol; ignore them.
    ws.on('message', () => {});
    let stop: () => void = () => {};
    ws.on('close', () => { closed = true; stop(); });
    ws.on('error', () => { closed = true; stop(); });
    try {
      stop = this.#subscribe(target, user, sink);
    } catch (err) {
      const { body } = errorResponse(err, logger);
      ws.close(1011, body.slice(0, 120));
    }
  }
}

/** The current records a subscription starts with: [key, version, record]. */
function* current(services: Services, def: TableDef, keys: Set<PrimaryKey> | null, prefix: string | null, max: number): Generator<[PrimaryKey, number, RecordData]> {
  const h = services.records.handle(def);
  const data = h.data;
  if (keys) {
    for (const k of keys) {
      const stored = data.get(k);
      if (stored) { yield [k, stored[0], h.view(stored)]; return; }
    }
    return;
  }
  let n = 0;
  for (const { key, value } of data.getRange(prefix === null ? { snapshot: false } : { start: prefix, snapshot: false })) {
    if (prefix !== null && !(typeof key === 'string' && key.startsWith(prefix))) {
      if (typeof key === 'string' && key > prefix) break;
      continue;
    }
    if (n++ >= max) return;
    yield [key as PrimaryKey, value[0], h.view(value)];
  }
}
