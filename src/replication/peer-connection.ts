/**
 * The replication transport, and the only module that imports `ws`: dialling a peer (HTTP
 * Basic + protocol version on the upgrade request), accepting peers on the clustering port
 * (credentials and version checked BEFORE the upgrade: 401 / 426), and one open link with
 * heartbeats. Liveness is "any byte received": pings go out on their own timer, and a link
 * that receives nothing for two heartbeat intervals is terminated, so a busy data stream can
 * never starve the keep-alive and a blackholed link is noticed within 2 x heartbeatMs.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { createRequire } from 'node:module';
import type { WebSocket, WebSocketServer } from 'ws';

/** ws, loaded when the first link is dialled or accepted (a node without clustering never loads it). */
function wsLibrary(): typeof import('ws') {
  return createRequire(import.meta.url)('ws') as typeof import('ws');
}
import { CLOSE_CODES, closeCodeName } from './protocol/close-codes.js';
import { MAX_FRAME_BYTES, NODE_HEADER, PROTOCOL_HEADER, PROTOCOL_VERSION, REPLICATION_PATH } from './protocol/messages.js';

export interface LinkHandlers {
  onFrame(frame: Buffer): void;
  onClose(code: number, reason: string): void;
}

/** One open replication WebSocket (either direction). */
export class PeerConnection {
  readonly remoteAddress: string;
  readonly remotePort: number;
  bytesSent = 0;
  bytesReceived = 0;
  lastReceivedAt = Date.now();
  readonly openedAt = Date.now();
  #ws: WebSocket;
  #timer: NodeJS.Timeout;
  #handlers: LinkHandlers | null = null;
  #closed = false;
  #closeInfo: { code: number; reason: string } | null = null;

  constructor(ws: WebSocket, socket: Socket | Duplex, heartbeatMs: number) {
    this.#ws = ws;
    const s = socket as Socket;
    this.remoteAddress = s.remoteAddress ?? 'unknown';
    this.remotePort = s.remotePort ?? 0;
    // Raw bytes count as liveness: a large frame still arriving keeps the link alive.
    socket.on('data', (d: Buffer) => { this.lastReceivedAt = Date.now(); this.bytesReceived += d.length; });
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (!isBinary || this.#closed) { if (!isBinary) this.close(CLOSE_CODES.PROTOCOL_ERROR, 'text frames are not allowed'); return; }
      this.#handlers?.onFrame(data);
    });
    ws.on('close', (code: number, reason: Buffer) => this.#finish(this.#closeInfo?.code ?? code, this.#closeInfo?.reason ?? (reason.toString() || closeCodeName(code))));
    ws.on('error', () => { /* followed by 'close', which reports it */ });
    this.#timer = setInterval(() => {
      if (Date.now() - this.lastReceivedAt > 2 * heartbeatMs) {
        this.#closeInfo = { code: CLOSE_CODES.HEARTBEAT_TIMEOUT, reason: `no data or heartbeat for ${2 * heartbeatMs} ms` };
        ws.terminate();
        return;
      }
      try { ws.ping(); } catch { /* socket already closing; 'close' follows */ }
    }, heartbeatMs);
    this.#timer.unref();
  }

  /** Attaches the protocol handlers (frames received before this are impossible: set synchronously). */
  attach(handlers: LinkHandlers): void {
    this.#handlers = handlers;
  }

  get isOpen(): boolean {
    return !this.#closed && this.#ws.readyState === this.#ws.OPEN;
  }

  /** Bytes queued in the socket and not yet written. */
  get bufferedAmount(): number {
    return this.#ws.bufferedAmount;
  }

  send(frame: Buffer): void {
    if (!this.isOpen) return;
    this.bytesSent += frame.length;
    this.#ws.send(frame, { binary: true });
  }

  close(code: number, reason: string): void {
    if (this.#closed) return;
    this.#closeInfo ??= { code, reason };
    try { this.#ws.close(code, reason.slice(0, 120)); } catch { this.#ws.terminate(); }
    // A peer that never answers the close handshake is cut after a second.
    setTimeout(() => this.#ws.terminate(), 1000).unref();
  }

  terminate(reason: string): void {
    this.#closeInfo ??= { code: 1006, reason };
    this.#ws.terminate();
  }

  #finish(code: number, reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    this.#handlers?.onClose(code, reason);
  }
}

export interface DialOptions {
  url: string;
  nodeName: string;
  authorization: string;
  heartbeatMs: number;
  protocolVersion?: number;
  ca?: Buffer;
  insecure?: boolean;
  timeoutMs?: number;
  /** Aborts the attempt (node stopping). */
  signal?: AbortSignal;
  /** Source address of the connection (the node's own clustering address, so peers see where it listens). */
  localAddress?: string;
}

export type DialResult =
  | { ok: true; connection: PeerConnection }
  | { ok: false; state: 'unauthorized' | 'version_mismatch' | 'refused' | 'closed'; error: string };

/** Opens a link to a peer; resolves (never rejects) with the link or why it failed. */
export function dial(opts: DialOptions): Promise<DialResult> {
  return new Promise((resolve) => {
    let socket: Duplex | null = null;
    let settled = false;
    const done = (r: DialResult) => { if (!settled) { settled = true; resolve(r); } };
    const ws = new (wsLibrary().WebSocket)(opts.url, {
      headers: { authorization: opts.authorization, [PROTOCOL_HEADER]: String(opts.protocolVersion ?? PROTOCOL_VERSION), [NODE_HEADER]: opts.nodeName },
      handshakeTimeout: opts.timeoutMs ?? 10_000,
      perMessageDeflate: false,
      maxPayload: MAX_FRAME_BYTES,
      ...(opts.ca ? { ca: opts.ca } : {}),
      rejectUnauthorized: !opts.insecure,
      ...(opts.localAddress ? { localAddress: opts.localAddress } : {}),
    });
    const abort = () => { done({ ok: false, state: 'closed', error: 'dial aborted' }); ws.terminate(); };
    if (opts.signal?.aborted) { abort(); return; }
    opts.signal?.addEventListener('abort', abort, { once: true });
    ws.on('upgrade', (res: IncomingMessage) => { socket = res.socket; });
    ws.on('unexpected-response', (req, res: IncomingMessage) => {
      // With this listener installed, ending the request is ours to do (ws leaves it open).
      const sock = res.socket;
      const finish = () => { req.destroy(); sock?.destroy(); };
      const status = res.statusCode ?? 0;
      let body = '';
      res.on('data', (d: Buffer) => { if (body.length < 500) body += d.toString(); });
      res.on('end', () => {
        const detail = body.trim().slice(0, 200);
        if (status === 401 || status === 403) done({ ok: false, state: 'unauthorized', error: `peer refused the cluster credentials (HTTP ${status})` });
        else if (status === 426) done({ ok: false, state: 'version_mismatch', error: `protocol version mismatch: we speak ${opts.protocolVersion ?? PROTOCOL_VERSION}, peer speaks ${res.headers[PROTOCOL_HEADER] ?? 'unknown'} (HTTP 426)${detail ? `: ${detail}` : ''}` });
        else done({ ok: false, state: 'refused', error: `peer refused the connection (HTTP ${status})${detail ? `: ${detail}` : ''}` });
        finish();
      });
      res.on('error', () => { done({ ok: false, state: 'refused', error: `peer refused the connection (HTTP ${status})` }); finish(); });
      res.resume();
    });
    ws.on('open', () => {
      opts.signal?.removeEventListener('abort', abort);
      if (settled) { ws.terminate(); return; }
      if (!socket) { ws.terminate(); done({ ok: false, state: 'closed', error: 'no socket after upgrade' }); return; }
      done({ ok: true, connection: new PeerConnection(ws, socket, opts.heartbeatMs) });
    });
    ws.on('error', (err: Error) => { done({ ok: false, state: 'closed', error: err.message }); ws.terminate(); });
    ws.on('close', () => done({ ok: false, state: 'closed', error: 'connection closed during the handshake' }));
  });
}

export type AcceptDecision = { ok: true; peerName: string } | { ok: false; status: number; message: string; headers?: Record<string, string> };

export interface ListenerOptions {
  host: string;
  port: number;
  heartbeatMs: number;
  tls?: { cert: Buffer; key: Buffer } | null;
  /** Decides on an upgrade request before it is accepted (auth, version, node header). */
  authorize(req: IncomingMessage): Promise<AcceptDecision>;
  onConnection(connection: PeerConnection, peerName: string): void;
  /** Plain (non-upgrade) requests; returns false to answer 404 (node-to-node JSON endpoints). */
  onRequest?(req: IncomingMessage, res: import('node:http').ServerResponse): boolean;
}

/** The clustering port: a plain HTTP(S) server that only accepts replication upgrades. */
export class ReplicationListener {
  readonly #server: Server;
  readonly #wss: WebSocketServer;
  readonly #opts: ListenerOptions;
  readonly #sockets = new Set<Duplex>();

  constructor(opts: ListenerOptions) {
    this.#opts = opts;
    this.#wss = new (wsLibrary().WebSocketServer)({ noServer: true, perMessageDeflate: false, maxPayload: MAX_FRAME_BYTES });
    const reject404 = (req: IncomingMessage, res: import('node:http').ServerResponse) => {
      if (opts.onRequest?.(req, res)) return;
      res.statusCode = 404;
      res.end('FerryDB replication port: WebSocket upgrades only\n');
    };
    this.#server = opts.tls ? createHttpsServer({ cert: opts.tls.cert, key: opts.tls.key }, reject404) : createHttpServer(reject404);
    this.#server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => void this.#upgrade(req, socket, head));
  }

  async #upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    this.#sockets.add(socket);
    socket.once('close', () => this.#sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    const path = (req.url ?? '').split('?')[0];
    let decision: AcceptDecision;
    if (path !== REPLICATION_PATH) decision = { ok: false, status: 404, message: 'not a replication endpoint' };
    else decision = await this.#opts.authorize(req).catch((): AcceptDecision => ({ ok: false, status: 500, message: 'internal error' }));
    if (!decision.ok) {
      const headers = { 'content-type': 'text/plain', connection: 'close', [PROTOCOL_HEADER]: String(PROTOCOL_VERSION), ...(decision.headers ?? {}) };
      const text = `${decision.message}\n`;
      const reasons: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 409: 'Conflict', 426: 'Upgrade Required', 500: 'Internal Server Error', 503: 'Service Unavailable' };
      socket.end(`HTTP/1.1 ${decision.status} ${reasons[decision.status] ?? 'Error'}\r\n${Object.entries({ ...headers, 'content-length': String(Buffer.byteLength(text)) }).map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n${text}`);
      return;
    }
    const peerName = decision.peerName;
    this.#wss.handleUpgrade(req, socket, head, (ws) => {
      this.#opts.onConnection(new PeerConnection(ws, socket, this.#opts.heartbeatMs), peerName);
    });
  }

  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(this.#opts.port, this.#opts.host, () => {
        this.#server.off('error', reject);
        resolve((this.#server.address() as { port: number }).port);
      });
    });
  }

  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    this.#wss.close();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
