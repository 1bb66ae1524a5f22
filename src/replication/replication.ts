/**
 * The replication subsystem of one node: the clustering listener, one dialler per node in the
 * manifest (reconnecting with jittered, capped back-off), the sessions of open links, the
 * status report behind cluster_status, and the periodic retention job. Composition only:
 * the protocol lives in session/sender/receiver, the transport in peer-connection.
 */
import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import type { Config } from '../config/load-config.js';
import type { Logger } from '../log/logger.js';
import type { Services } from '../operations/context.js';
import type { KvStore } from '../storage/engine.js';
import { backoffDelay } from './backoff.js';
import { CursorStore } from './cursor-store.js';
import { dial, ReplicationListener, type AcceptDecision, type PeerConnection } from './peer-connection.js';
import { channelOf, PeerRegistry, type NodeRecord, type Subscription } from './peers.js';
import { CLOSE_CODES } from './protocol/close-codes.js';
import { COMPRESSION, type Compression } from './protocol/frame-codec.js';
import { NODE_HEADER, PROTOCOL_HEADER, PROTOCOL_VERSION, REPLICATION_PATH } from './protocol/messages.js';
import { runRetention, type TrimReport } from './retention.js';
import { Session, type SessionDeps } from './session.js';
import { connectionStatus, subscriptionStatus, type StatusContext } from './status.js';
import type { PeerClientOptions } from './cluster-http.js';
import { RouteTable } from './routes.js';
import { sourceAddress } from './source-address.js';
import { configFileOf } from '../config/write-config.js';

export interface ReplicationOptions {
  services: Services;
  config: Config;
  logger: Logger;
  /** Test hooks. */
  protocolVersion?: number;
  retentionIntervalMs?: number;
  compression?: Compression;
}

type LinkState = 'connecting' | 'open' | 'closed' | 'unauthorized' | 'version_mismatch' | 'refused' | 'disabled';

interface Outbound {
  node: NodeRecord;
  state: LinkState;
  error: string | null;
  attempt: number;
  session: Session | null;
  timer: NodeJS.Timeout | null;
  nextAttemptAt: number | null;
  stopped: boolean;
  dialing: AbortController | null;
}

interface InboundRecord {
  name: string;
  address: string;
  port: number;
  subscriptions: Subscription[];
  lastSeen: number;
}

const NODE_NAME_RE = /^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,63}$/;

export class Replication {
  readonly peers: PeerRegistry;
  readonly cursors: CursorStore;
  /** Cluster routes (4.x): addresses add_node by node_name may dial; edited by cluster_set_routes. */
  readonly routes: RouteTable;
  /** Plain requests on the clustering port (node-to-node JSON endpoints); set before start(). */
  onClusterRequest: ((req: IncomingMessage, res: import('node:http').ServerResponse) => boolean) | null = null;
  readonly enabled: boolean;
  readonly #services: Services;
  readonly #config: Config['clustering'];
  readonly #logger: Logger;
  readonly #opts: ReplicationOptions;
  readonly #inboundStore: KvStore<InboundRecord>;
  readonly #outbound = new Map<string, Outbound>();
  readonly #inbound = new Map<string, Session>();
  #listener: ReplicationListener | null = null;
  #retentionTimer: NodeJS.Timeout | null = null;
  #retentionRunning: Promise<TrimReport[]> | null = null;
  #stopped = false;
  readonly #pending = new Set<Promise<unknown>>();
  #port: number | null = null;

  constructor(opts: ReplicationOptions) {
    this.#opts = opts;
    this.#services = opts.services;
    this.#config = opts.config.clustering;
    this.#logger = opts.logger;
    this.enabled = opts.config.clustering.enabled;
    const engine = opts.services.records.engine;
    this.peers = new PeerRegistry(engine);
    this.cursors = new CursorStore(engine);
    this.#inboundStore = engine.openStore<InboundRecord>('replication:inbound');
    this.routes = new RouteTable(opts.config, configFileOf(opts.config.rootPath));
  }

  /** The clustering port peers reach this node on (the configured one until bound). */
  get clusteringPort(): number {
    return this.#port ?? this.#config.port;
  }

  /** Transport and credentials for node-to-node requests (same as the replication dialler). */
  peerClient(): PeerClientOptions {
    const creds = `${this.#config.user}:${this.#config.password ?? ''}`;
    return {
      tls: Boolean(this.#config.tls.certificate), insecure: this.#config.tls.insecure,
      authorization: `Basic ${Buffer.from(creds).toString('base64')}`,
      ...(this.#config.tls.certificateAuthority ? { ca: readFileSync(this.#config.tls.certificateAuthority) } : {}),
    };
  }

  /**
   * Reloads the node list and reconnects, without restarting the process (restart_service
   * "clustering config"); with `inbound`, links peers dialled are closed too (they redial:
   * restart_service "clustering"). Durable positions are kept, so streams resume.
   */
  async reconnectAll(inbound: boolean): Promise<void> {
    if (!this.enabled || this.#stopped || !this.#listener) return;
    const closing: Promise<void>[] = [];
    const waitClosed = (s: Session) => Promise.race([s.done, new Promise<void>((resolve) => setTimeout(resolve, 3000).unref())]);
    for (const o of this.#outbound.values()) {
      o.stopped = true;
      if (o.timer) clearTimeout(o.timer);
      o.dialing?.abort();
      if (o.session) { o.session.close(CLOSE_CODES.SHUTDOWN, 'clustering restarting'); closing.push(waitClosed(o.session)); }
    }
    this.#outbound.clear();
    if (inbound) for (const s of this.#inbound.values()) { s.close(CLOSE_CODES.SHUTDOWN, 'clustering restarting'); closing.push(waitClosed(s)); }
    await Promise.all(closing);
    if (this.#stopped) return;
    for (const node of this.peers.list()) this.#startOutbound(node);
    this.#logger.info({ nodes: this.#outbound.size, inbound }, 'clustering restarted: node list reloaded');
  }

  get nodeName(): string {
    return this.#services.changelog.nodeName;
  }

  get port(): number | null {
    return this.#port;
  }

  #sessionDeps(): Omit<SessionDeps, 'onClose'> {
    const b = this.#config.batch;
    return {
      records: this.#services.records, cursors: this.cursors, logger: this.#logger, self: this.nodeName,
      limits: { maxRows: b.maxRows, maxBytes: b.maxBytes, lingerMs: b.lingerMs, maxInFlight: b.maxInFlight },
      compression: this.#opts.compression ?? COMPRESSION.DEFLATE, heartbeatMs: this.#config.heartbeatMs,
    };
  }

  /** Binds the clustering port and starts diallers; returns the bound port (null when disabled). */
  async start(): Promise<number | null> {
    // The change log is bounded by retention whether or not this node replicates.
    const interval = this.#opts.retentionIntervalMs ?? 30_000;
    this.#retentionTimer = setInterval(() => void this.runRetention().catch((err: unknown) => this.#logger.error({ err }, 'change-log retention failed')), interval);
    this.#retentionTimer.unref();
    if (!this.enabled) return null;
    const tls = this.#config.tls.certificate && this.#config.tls.privateKey
      ? { cert: readFileSync(this.#config.tls.certificate), key: readFileSync(this.#config.tls.privateKey) }
      : null;
    this.#listener = new ReplicationListener({
      host: this.#config.host, port: this.#config.port, heartbeatMs: this.#config.heartbeatMs, tls,
      authorize: (req) => this.#authorize(req),
      onConnection: (conn, peer) => this.#accept(conn, peer),
      onRequest: (req, res) => this.onClusterRequest?.(req, res) ?? false,
    });
    this.#port = await this.#listener.listen();
    for (const node of this.peers.list()) this.#startOutbound(node);
    return this.#port;
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    if (this.#retentionTimer) clearInterval(this.#retentionTimer);
    await this.#retentionRunning?.catch(() => undefined);
    const closing: Promise<void>[] = [];
    const waitClosed = (s: Session) => Promise.race([s.done, new Promise<void>((resolve) => setTimeout(resolve, 3000).unref())]);
    for (const o of this.#outbound.values()) {
      o.stopped = true;
      if (o.timer) clearTimeout(o.timer);
      o.dialing?.abort();
      if (o.session) { o.session.close(CLOSE_CODES.SHUTDOWN, 'node shutting down'); closing.push(waitClosed(o.session)); }
    }
    for (const s of this.#inbound.values()) { s.close(CLOSE_CODES.SHUTDOWN, 'node shutting down'); closing.push(waitClosed(s)); }
    await Promise.all(closing);
    await Promise.all([...this.#pending]);
    await this.#listener?.close();
  }

  /** Keeps background writes visible to stop(), which waits for them before the store closes. */
  #track(p: Promise<unknown>): void {
    this.#pending.add(p);
    void p.finally(() => this.#pending.delete(p));
  }

  // ---- accepting -------------------------------------------------------------------------

  async #authorize(req: IncomingMessage): Promise<AcceptDecision> {
    const address = req.socket.remoteAddress ?? 'unknown';
    const version = req.headers[PROTOCOL_HEADER];
    if (version !== String(PROTOCOL_VERSION)) {
      this.#logger.warn({ peer: address, peerVersion: version ?? null, version: PROTOCOL_VERSION }, 'refused a replication connection: protocol version mismatch');
      return { ok: false, status: 426, message: `replication protocol version mismatch: this node speaks ${PROTOCOL_VERSION}, the request asked for ${typeof version === 'string' ? version : 'none'}` };
    }
    let user;
    try {
      user = await this.#services.users.authenticate(req.headers.authorization);
    } catch {
      // The password is never logged; the peer address and the user name (if parseable) are.
      this.#logger.warn({ peer: address }, 'refused a replication connection: bad cluster credentials');
      return { ok: false, status: 401, message: 'Login failed', headers: { 'www-authenticate': 'Basic realm="ferrydb-replication"' } };
    }
    if (!user.role.permission.cluster_user && !user.role.permission.super_user) {
      this.#logger.warn({ peer: address, user: user.username }, 'refused a replication connection: user is not a cluster user');
      return { ok: false, status: 403, message: `user '${user.username}' may not replicate (role needs cluster_user)` };
    }
    const peer = req.headers[NODE_HEADER];
    if (typeof peer !== 'string' || !NODE_NAME_RE.test(peer)) return { ok: false, status: 400, message: `missing or invalid ${NODE_HEADER} header` };
    if (peer === this.nodeName) return { ok: false, status: 409, message: `node name '${peer}' is this node's own name` };
    return { ok: true, peerName: peer };
  }

  #accept(conn: PeerConnection, peer: string): void {
    if (this.#stopped) { conn.close(CLOSE_CODES.SHUTDOWN, 'node shutting down'); return; }
    const old = this.#inbound.get(peer);
    const session = new Session({
      ...this.#sessionDeps(),
      onHello: (s, subs) => this.#track(this.#recordInbound(s, subs).catch((err: unknown) => this.#logger.warn({ err, peer: s.peer }, 'could not record the inbound subscriptions'))),
      onOpen: (s) => this.#logger.info({ peer: s.peer, address: conn.remoteAddress, subscriptions: s.subscriptions.map(channelOf) }, 'inbound replication link open'),
      onClose: (s, code, reason) => {
        if (this.#inbound.get(peer) === s) this.#inbound.delete(peer);
        this.#logger.info({ peer, code, reason }, 'inbound replication link closed');
        const rec = this.#inboundStore.get(peer);
        if (rec) return this.#services.records.engine.transaction(() => this.#inboundStore.put(peer, { ...rec, lastSeen: Date.now() })).then(() => undefined);
        return undefined;
      },
    }, conn, { peer, direction: 'in' });
    this.#inbound.set(peer, session);
    old?.close(CLOSE_CODES.REPLACED, 'replaced by a newer link from the same node');
  }

  async #recordInbound(s: Session, subs: Subscription[]): Promise<void> {
    await this.#services.records.engine.transaction(() => this.#inboundStore.put(s.peer, { name: s.peer, address: s.connection.remoteAddress, port: s.connection.remotePort, subscriptions: subs, lastSeen: Date.now() }));
    await this.cursors.forgetLink(s.link, (db, table) => subs.some((x) => x.database === db && x.table === table));
  }

  // ---- dialling ---------------------------------------------------------------------------

  #startOutbound(node: NodeRecord): void {
    const o: Outbound = { node, state: 'connecting', error: null, attempt: 0, session: null, timer: null, nextAttemptAt: null, stopped: false, dialing: null };
    this.#outbound.set(node.name, o);
    void this.#connect(o);
  }

  async #connect(o: Outbound): Promise<void> {
    if (o.stopped || this.#stopped) return;
    o.timer = null;
    o.nextAttemptAt = null;
    // Keep a refusal state (unauthorized, version_mismatch) visible while retrying.
    if (o.state === 'open' || o.state === 'closed') o.state = 'connecting';
    const scheme = this.#config.tls.certificate ? 'wss' : 'ws';
    const host = o.node.host.includes(':') && !o.node.host.startsWith('[') ? `[${o.node.host}]` : o.node.host;
    const creds = `${this.#config.user}:${this.#config.password ?? ''}`;
    const abort = new AbortController();
    o.dialing = abort;
    const result = await dial({
      signal: abort.signal,
      url: `${scheme}://${host}:${o.node.port}${REPLICATION_PATH}`,
      nodeName: this.nodeName,
      authorization: `Basic ${Buffer.from(creds).toString('base64')}`,
      heartbeatMs: this.#config.heartbeatMs,
      ...(this.#opts.protocolVersion !== undefined ? { protocolVersion: this.#opts.protocolVersion } : {}),
      ...(this.#config.tls.certificateAuthority ? { ca: readFileSync(this.#config.tls.certificateAuthority) } : {}),
      insecure: this.#config.tls.insecure,
      ...sourceAddress(this.#config.host, o.node.host),
    });
    o.dialing = null;
    if (o.stopped || this.#stopped) {
      if (result.ok) result.connection.close(CLOSE_CODES.SHUTDOWN, 'node shutting down');
      return;
    }
    if (!result.ok) {
      const changed = o.state !== result.state || o.error !== result.error;
      o.state = result.state === 'closed' ? 'closed' : result.state;
      o.error = result.error;
      const level = result.state === 'unauthorized' || result.state === 'version_mismatch' ? 'warn' : 'debug';
      if (changed) this.#logger[level]({ peer: o.node.name, host: o.node.host, port: o.node.port, state: o.state, error: result.error }, 'replication dial failed');
      this.#retry(o);
      return;
    }
    const session = new Session({
      ...this.#sessionDeps(),
      onOpen: (s) => {
        o.state = 'open';
        o.error = null;
        o.attempt = 0;
        this.#logger.info({ peer: s.peer, host: o.node.host, port: o.node.port, subscriptions: s.subscriptions.map(channelOf) }, 'outbound replication link open');
      },
      onClose: (s, code, reason) => {
        if (o.session === s) o.session = null;
        if (o.stopped || this.#stopped) return;
        o.state = 'closed';
        o.error = `link closed (${code}): ${reason}`;
        this.#logger.info({ peer: s.peer, code, reason }, 'outbound replication link closed; reconnecting');
        if (code === CLOSE_CODES.SUBSCRIPTIONS_CHANGED) o.attempt = 0;
        this.#retry(o);
      },
    }, result.connection, { peer: o.node.name, direction: 'out', subscriptions: o.node.subscriptions });
    o.session = session;
  }

  #retry(o: Outbound): void {
    if (o.stopped || this.#stopped || o.timer) return;
    const delay = backoffDelay(o.attempt++, this.#config.reconnect);
    o.nextAttemptAt = Date.now() + delay;
    o.timer = setTimeout(() => void this.#connect(o), delay);
    o.timer.unref();
  }

  // ---- manifest changes (called by the operations) -------------------------------------

  async addNode(node: NodeRecord): Promise<void> {
    await this.peers.put(node);
    if (this.enabled && !this.#stopped && this.#listener) this.#startOutbound(node);
  }

  async updateNode(node: NodeRecord): Promise<void> {
    await this.peers.put(node);
    const link = `out:${node.name}`;
    await this.cursors.forgetLink(link, (db, table) => node.subscriptions.some((s) => s.database === db && s.table === table));
    const o = this.#outbound.get(node.name);
    if (!o) { if (this.enabled && this.#listener && !this.#stopped) this.#startOutbound(node); return; }
    const moved = o.node.host !== node.host || o.node.port !== node.port;
    o.node = node;
    if (o.session) o.session.close(CLOSE_CODES.SUBSCRIPTIONS_CHANGED, 'subscriptions changed');
    else if (moved || o.timer) { if (o.timer) clearTimeout(o.timer); o.timer = null; o.attempt = 0; void this.#connect(o); }
  }

  /** Removes a node from the manifest (or forgets an inbound peer); false when unknown. */
  async removeNode(name: string): Promise<boolean> {
    const known = this.peers.get(name);
    const inbound = this.#inboundStore.get(name);
    if (!known && !inbound) return false;
    if (known) {
      await this.peers.remove(name);
      const o = this.#outbound.get(name);
      if (o) {
        o.stopped = true;
        if (o.timer) clearTimeout(o.timer);
        o.dialing?.abort();
        o.session?.close(CLOSE_CODES.NODE_REMOVED, 'node removed from the manifest');
        this.#outbound.delete(name);
      }
      await this.cursors.forgetLink(`out:${name}`);
    }
    if (inbound) {
      await this.#services.records.engine.transaction(() => this.#inboundStore.remove(name));
      this.#inbound.get(name)?.close(CLOSE_CODES.NODE_REMOVED, 'node removed from the manifest');
      await this.cursors.forgetLink(`in:${name}`);
    }
    return true;
  }

  // ---- retention --------------------------------------------------------------------------

  /** Acked positions of every peer subscribed to a table's changes from this node. */
  #ackedFor(): (db: string, table: string) => [string, number][] {
    const publishing = new Set<string>();
    for (const n of this.peers.list()) for (const s of n.subscriptions) if (s.publish) publishing.add(`out:${n.name}\u0000${s.database}\u0000${s.table}`);
    for (const { value: r } of this.#inboundStore.getRange()) for (const s of r.subscriptions) if (s.publish) publishing.add(`in:${r.name}\u0000${s.database}\u0000${s.table}`);
    const byTable = new Map<string, [string, number][]>();
    for (const [link, db, table, seq] of this.cursors.allAcked()) {
      if (!publishing.has(`${link}\u0000${db}\u0000${table}`)) continue;
      const k = `${db}\u0000${table}`;
      const list = byTable.get(k) ?? [];
      // The in-memory position of a live stream is fresher than the persisted one.
      const live = this.#liveSender(link, db, table)?.ackedSeq;
      list.push([link, Math.max(seq, live ?? 0)]);
      byTable.set(k, list);
    }
    return (db, table) => byTable.get(`${db}\u0000${table}`) ?? [];
  }

  #liveSender(link: string, db: string, table: string) {
    const [dir, name] = [link.slice(0, link.indexOf(':')), link.slice(link.indexOf(':') + 1)];
    const s = dir === 'out' ? this.#outbound.get(name)?.session : this.#inbound.get(name);
    return s?.senders.get(`${db}\u0000${table}`);
  }

  /** One retention pass (also run periodically). */
  runRetention(): Promise<TrimReport[]> {
    if (this.#retentionRunning) return this.#retentionRunning;
    const { records, changelog } = this.#services;
    this.#retentionRunning = runRetention({ records, changelog, cursors: this.cursors, logger: this.#logger }, this.#config.retention, this.#ackedFor())
      .finally(() => { this.#retentionRunning = null; });
    return this.#retentionRunning;
  }

  // ---- status -------------------------------------------------------------------------------

  #statusContext(): StatusContext {
    return { records: this.#services.records, changelog: this.#services.changelog, cursors: this.cursors, heartbeatMs: this.#config.heartbeatMs };
  }

  /** cluster_status body (3.x shape plus FerryDB's per-subscription figures). */
  status(): Record<string, unknown> {
    if (!this.enabled) return { is_enabled: false, node_name: this.nodeName };
    const outbound = [...this.#outbound.values()].map((o) => ({
      node_name: o.node.name, host_address: o.node.host, host_port: o.node.port, state: o.state,
      ...(o.state !== 'open' && o.error ? { error: o.error } : {}),
      ...(o.nextAttemptAt ? { next_attempt_in_ms: Math.max(0, o.nextAttemptAt - Date.now()) } : {}),
      ...connectionStatus(o.session),
      subscriptions: o.node.subscriptions.map((s) => subscriptionStatus(this.#statusContext(), `out:${o.node.name}`, s, o.session)),
    }));
    const inbound = [...this.#inboundStore.getRange()].map(({ value: r }) => {
      const s = this.#inbound.get(r.name) ?? null;
      return {
        node_name: r.name, host_address: s?.connection.remoteAddress ?? r.address, host_port: s?.connection.remotePort ?? r.port,
        state: s?.isOpen ? 'open' : 'closed',
        ...(!s?.isOpen ? { error: 'peer not connected', last_seen: new Date(r.lastSeen).toISOString() } : {}),
        ...connectionStatus(s),
        subscriptions: (s?.subscriptions ?? r.subscriptions).map((x) => subscriptionStatus(this.#statusContext(), `in:${r.name}`, x, s)),
      };
    });
    return { is_enabled: true, node_name: this.nodeName, status: { outbound_connections: outbound, inbound_connections: inbound } };
  }

  /** Compact figures for system_information. */
  summary(): Record<string, unknown> {
    return { enabled: this.enabled, node_name: this.nodeName, port: this.#port, outbound: this.#outbound.size, inbound: this.#inbound.size };
  }
}
