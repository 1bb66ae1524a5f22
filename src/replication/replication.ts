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
import { COMPRESSION, type Compression, type encodeBatchFrame } from './protocol/frame-codec.js';
import { NODE_HEADER, PROTOCOL_HEADER, PROTOCOL_VERSION, REPLICATION_PATH } from './protocol/messages.js';
import { keepsDialling, fromWire, mergeSubscriptions, sameSubscriptions } from './link-edits.js';
import type { ManifestMessage } from './protocol/messages.js';
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

type LinkState = 'connecting' | 'open' | 'closed' | 'unauthorized' | 'version_mismatch' | 'refused' | 'disabled' | 'removed_by_peer';

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
  /** An edit made on this (dialled) side, in this node's view, not yet confirmed by the dialler's HELLO. */
  pending?: Subscription[];
  /** `merge`: pending lists additions to whatever the dialler has; `replace`: the whole new list. */
  pendingMode?: 'merge' | 'replace';
  /** The dialler ran remove_node for this node (epoch ms). */
  removedByPeer?: number;
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
  /** Fault injection for tests (never set in production). */
  readonly hooks: { encode?: typeof encodeBatchFrame } = {};
  /** The last retention pass that trimmed something, and when the last pass ran. */
  lastTrim: { at: number; reports: TrimReport[] } | null = null;
  lastRetentionRunAt: number | null = null;
  /** Last error of each stream (link, db, table), kept after the link closes. */
  readonly #streamErrors = new Map<string, { message: string; at: number }>();
  readonly #services: Services;
  readonly #config: Config['clustering'];
  readonly #logger: Logger;
  readonly #opts: ReplicationOptions;
  readonly #inboundStore: KvStore<InboundRecord>;
  /** Diallers this node removed (name -> epoch ms): refused until they are added again. */
  readonly #removedStore: KvStore<number>;
  /** Pending edit decided at HELLO, sent once the link is open. */
  readonly #helloPending = new WeakMap<Session, Subscription[]>();
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
    this.#removedStore = engine.openStore<number>('replication:removed');
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
    await this.#closeLinks('clustering restarting', inbound);
    this.#outbound.clear();
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
      recreateDropped: this.#config.recreateDroppedTables,
      ...(this.hooks.encode ? { encode: this.hooks.encode } : {}),
    };
  }

  /** Keeps the streams' errors of a closing session visible in cluster_status. */
  #noteErrors(s: Session): void {
    for (const snd of s.senders.values()) if (snd.error) this.#streamErrors.set(`${s.link}\u0000${snd.db}\u0000${snd.table}`, { message: snd.error, at: Date.now() });
  }

  streamError(link: string, db: string, table: string): { message: string; at: number } | undefined {
    return this.#streamErrors.get(`${link}\u0000${db}\u0000${table}`);
  }

  /** Binds the clustering port and starts diallers; returns the bound port (null when disabled). */
  async start(): Promise<number | null> {
    // The change log is bounded by retention whether or not this node replicates.
    // A first pass soon after start, so a node restarted more often than the interval still trims.
    const interval = this.#opts.retentionIntervalMs ?? this.#config.retention.intervalMs;
    const pass = () => void this.runRetention().catch((err: unknown) => this.#logger.error({ err }, 'change-log retention failed'));
    this.#retentionTimer = setTimeout(() => {
      pass();
      if (this.#stopped) return;
      this.#retentionTimer = setInterval(pass, interval);
      this.#retentionTimer.unref();
    }, Math.min(this.#config.retention.firstPassMs, interval));
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

  #write(fn: () => void): Promise<void> {
    const p = this.#services.records.engine.transaction(fn).then(() => undefined);
    this.#track(p.catch((err: unknown) => this.#logger.warn({ err }, 'could not store a replication record')));
    return p;
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    if (this.#retentionTimer) { clearTimeout(this.#retentionTimer); clearInterval(this.#retentionTimer); }
    await this.#retentionRunning?.catch(() => undefined);
    await this.#closeLinks('node shutting down', true);
    await Promise.all([...this.#pending]);
    await this.#listener?.close();
  }

  /**
   * Stops every dialler and closes its link (and the links peers dialled, with `inbound`) with
   * SHUTDOWN and a reason; waits up to 3 s per link for it to close.
   */
  async #closeLinks(reason: string, inbound: boolean): Promise<void> {
    const closing: Promise<void>[] = [];
    const waitClosed = (s: Session) => Promise.race([s.done, new Promise<void>((resolve) => setTimeout(resolve, 3000).unref())]);
    for (const o of this.#outbound.values()) {
      o.stopped = true;
      if (o.timer) clearTimeout(o.timer);
      o.dialing?.abort();
      if (o.session) { o.session.close(CLOSE_CODES.SHUTDOWN, reason); closing.push(waitClosed(o.session)); }
    }
    if (inbound) for (const s of this.#inbound.values()) { s.close(CLOSE_CODES.SHUTDOWN, reason); closing.push(waitClosed(s)); }
    await Promise.all(closing);
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
      user = await this.#services.users.authenticate(req.headers.authorization, address);
    } catch {
      // The password is never logged; the peer address and the user name (if parseable) are.
      this.#logger.warn({ peer: address }, 'refused a replication connection: bad cluster credentials');
      return { ok: false, status: 401, message: 'Login failed', headers: { 'www-authenticate': 'Basic realm="ferrydb-replication"' } };
    }
    if (!user.role.permission.cluster_user) {
      this.#logger.warn({ peer: address, user: user.username }, 'refused a replication connection: user is not a cluster user');
      return { ok: false, status: 403, message: `user '${user.username}' may not replicate (only a cluster_user role may open a link)` };
    }
    const peer = req.headers[NODE_HEADER];
    if (typeof peer !== 'string' || !NODE_NAME_RE.test(peer)) return { ok: false, status: 400, message: `missing or invalid ${NODE_HEADER} header` };
    if (peer === this.nodeName) return { ok: false, status: 409, message: `node name '${peer}' is this node's own name` };
    return { ok: true, peerName: peer };
  }

  #accept(conn: PeerConnection, peer: string): void {
    if (this.#stopped) { conn.close(CLOSE_CODES.SHUTDOWN, 'node shutting down'); return; }
    const session = new Session({
      ...this.#sessionDeps(),
      onHello: (s, subs, added) => this.#onHello(s, subs, added),
      onOpen: (s) => {
        this.#logger.info({ peer: s.peer, address: conn.remoteAddress, subscriptions: s.subscriptions.map(channelOf) }, 'inbound replication link open');
        // An edit made here while the dialler was away (or just now) goes over the link.
        const pending = this.#helloPending.get(s);
        if (pending) s.sendManifest(pending);
      },
      onClose: (s, code, reason) => {
        this.#noteErrors(s);
        if (this.#inbound.get(peer) === s) this.#inbound.delete(peer);
        this.#logger.info({ peer, code, reason }, 'inbound replication link closed');
        const rec = this.#inboundStore.get(peer);
        if (!rec || !s.isHelloAccepted) return undefined;
        const removed = code === CLOSE_CODES.NODE_REMOVED ? { removedByPeer: Date.now() } : {};
        if (removed.removedByPeer) this.#logger.warn({ peer }, 'the dialling peer removed this node (remove_node on the peer); its entry stays here, marked removed_by_peer, until remove_node');
        return this.#write(() => this.#inboundStore.put(peer, { ...rec, ...removed, lastSeen: Date.now() }));
      },
    }, conn, { peer, direction: 'in' });
    const old = this.#inbound.get(peer);
    this.#inbound.set(peer, session);
    old?.close(CLOSE_CODES.REPLACED, 'replaced by a newer link from the same node');
  }

  /** The dialler's HELLO: refuse a removed peer or a duplicate link, record the subscriptions. */
  #onHello(s: Session, subs: Subscription[], added: number | undefined): boolean {
    const removedAt = this.#removedStore.get(s.peer);
    if (removedAt !== undefined) {
      if (added === undefined || added <= removedAt) {
        this.#logger.warn({ peer: s.peer }, 'refused a replication link: this node removed that peer (remove_node); add it again on either side to reconnect');
        s.sendManifest([], true);
        s.close(CLOSE_CODES.NODE_REMOVED, `${this.nodeName} removed ${s.peer} from its manifest`);
        return false;
      }
      void this.#write(() => this.#removedStore.remove(s.peer));
    }
    // Both nodes dialled each other: one link per pair.
    const mine = this.peers.get(s.peer);
    const rec = this.#inboundStore.get(s.peer);
    let pending = rec?.pending ? (rec.pendingMode === 'merge' ? mergeSubscriptions(subs, rec.pending) : rec.pending) : undefined;
    // The peer removed us earlier and now dials again: its link replaces our stale entry.
    if (mine?.removedByPeer) void this.#dropOutbound(s.peer);
    if (mine && !mine.removedByPeer) {
      if (keepsDialling(this.nodeName, s.peer)) {
        s.close(CLOSE_CODES.DUPLICATE_LINK, `${this.nodeName} already dials ${s.peer}: one link per pair, merge the subscriptions into it`);
        return false;
      }
      pending = mergeSubscriptions(pending ?? subs, mine.subscriptions);
      this.#logger.info({ peer: s.peer }, 'both nodes dialled each other: keeping the peer\'s link and merging this node\'s subscriptions into it');
      void this.#dropOutbound(s.peer);
    }
    if (pending && sameSubscriptions(pending, subs)) pending = undefined;
    s.isHelloAccepted = true;
    if (pending) this.#helloPending.set(s, pending);
    this.#track(this.#recordInbound(s, subs, pending).catch((err: unknown) => this.#logger.warn({ err, peer: s.peer }, 'could not record the inbound subscriptions')));
    return true;
  }

  /** Stops dialling a peer and forgets its manifest entry (its link is replaced by the peer's). */
  async #dropOutbound(name: string): Promise<void> {
    const o = this.#outbound.get(name);
    if (o) {
      o.stopped = true;
      if (o.timer) clearTimeout(o.timer);
      o.dialing?.abort();
      o.session?.close(CLOSE_CODES.DUPLICATE_LINK, 'one link per pair: the peer\'s link carries these subscriptions');
      this.#outbound.delete(name);
    }
    await this.peers.remove(name);
    await this.cursors.forgetLink(`out:${name}`);
  }

  async #recordInbound(s: Session, subs: Subscription[], pending: Subscription[] | undefined): Promise<void> {
    // Committed before WELCOME: an operation right after the link opens (remove_node,
    // update_node, add_node merging) must find the peer's record.
    this.#services.records.engine.transactionSync(() => this.#inboundStore.put(s.peer, { name: s.peer, address: s.connection.remoteAddress, port: s.connection.remotePort, subscriptions: subs, lastSeen: Date.now(), ...(pending ? { pending, pendingMode: 'replace' as const } : {}) }));
    await this.cursors.forgetLink(s.link, (db, table) => subs.some((x) => x.database === db && x.table === table));
  }

  // ---- dialling ---------------------------------------------------------------------------

  #startOutbound(node: NodeRecord): void {
    const o: Outbound = { node, state: 'connecting', error: null, attempt: 0, session: null, timer: null, nextAttemptAt: null, stopped: false, dialing: null };
    this.#outbound.set(node.name, o);
    if (node.removedByPeer) { this.#markRemovedByPeer(o, node.removedByPeer); return; }
    void this.#connect(o);
  }

  /** The peer removed this node: stop dialling, keep the entry (shown, removable) until remove_node. */
  #markRemovedByPeer(o: Outbound, at = Date.now()): void {
    o.stopped = true;
    if (o.timer) clearTimeout(o.timer);
    o.timer = null;
    o.nextAttemptAt = null;
    o.state = 'removed_by_peer';
    o.error = `${o.node.name} removed this node at ${new Date(at).toISOString()} (remove_node on ${o.node.name}); not reconnecting. remove_node forgets this entry; update_node or add_node here reconnects`;
    if (!o.node.removedByPeer) {
      o.node = { ...o.node, removedByPeer: at };
      this.#logger.warn({ peer: o.node.name }, 'the peer removed this node; stopped dialling it');
      this.#track(this.peers.put(o.node).catch(() => undefined));
    }
  }

  /** The acceptor edited the link (or removed it): store the new list and reconnect with it. */
  #onManifest(o: Outbound, msg: ManifestMessage): void {
    if (msg.removed) {
      this.#markRemovedByPeer(o);
      o.session?.close(CLOSE_CODES.NODE_REMOVED, 'removed by the peer');
      return;
    }
    const subscriptions = msg.subs.map(fromWire);
    if (sameSubscriptions(subscriptions, o.node.subscriptions)) return;
    this.#logger.info({ peer: o.node.name, subscriptions: subscriptions.map(channelOf) }, 'the peer edited the link\'s subscriptions; reconnecting with them');
    this.#track(this.updateNode({ ...o.node, subscriptions }).catch((err: unknown) => this.#logger.warn({ err, peer: o.node.name }, 'could not apply the peer\'s subscription edit')));
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
      onManifest: (_s, msg) => this.#onManifest(o, msg),
      onOpen: (s) => {
        o.state = 'open';
        o.error = null;
        o.attempt = 0;
        this.#logger.info({ peer: s.peer, host: o.node.host, port: o.node.port, subscriptions: s.subscriptions.map(channelOf) }, 'outbound replication link open');
      },
      onClose: (s, code, reason) => {
        this.#noteErrors(s);
        if (o.session === s) o.session = null;
        if (o.stopped || this.#stopped) return;
        if (code === CLOSE_CODES.NODE_REMOVED) { this.#markRemovedByPeer(o); return; }
        if (code === CLOSE_CODES.DUPLICATE_LINK) {
          // The peer also dials us and keeps its link: merge our subscriptions into it.
          this.#logger.info({ peer: s.peer }, 'both nodes dialled each other: the peer keeps its link; merging this node\'s subscriptions into it');
          return this.#yieldTo(o);
        }
        o.state = 'closed';
        o.error = `link closed (${code}): ${reason}`;
        this.#logger.info({ peer: s.peer, code, reason }, 'outbound replication link closed; reconnecting');
        if (code === CLOSE_CODES.SUBSCRIPTIONS_CHANGED || code === CLOSE_CODES.TABLE_DROPPED) o.attempt = 0;
        this.#retry(o);
      },
    }, result.connection, { peer: o.node.name, direction: 'out', subscriptions: o.node.subscriptions, added: o.node.addedTime });
    o.session = session;
  }

  #retry(o: Outbound): void {
    if (o.stopped || this.#stopped || o.timer) return;
    const delay = backoffDelay(o.attempt++, this.#config.reconnect);
    o.nextAttemptAt = Date.now() + delay;
    o.timer = setTimeout(() => void this.#connect(o), delay);
    o.timer.unref();
  }

  /** Our dialler yields to the peer's link: its list becomes a pending edit of the inbound link. */
  async #yieldTo(o: Outbound): Promise<void> {
    const name = o.node.name;
    const subs = o.node.subscriptions;
    await this.#dropOutbound(name);
    if (!this.#inboundStore.get(name)) await this.#write(() => this.#inboundStore.put(name, { name, address: o.node.host, port: o.node.port, subscriptions: [], lastSeen: 0 }));
    await this.editInbound(name, subs, 'merge');
  }

  // ---- manifest changes (called by the operations) -------------------------------------

  /** True when the peer dials this node (an inbound link record exists) and this node does not dial it. */
  isDialledBy(name: string): boolean {
    const mine = this.peers.get(name);
    return (!mine || !!mine.removedByPeer) && this.#inboundStore.get(name) !== undefined && !this.#inboundStore.get(name)!.removedByPeer;
  }

  /** This node's view of the subscriptions on the link a peer dials, pending edits included (undefined: no such link). */
  inboundSubscriptions(name: string): Subscription[] | undefined {
    const rec = this.#inboundStore.get(name);
    if (!rec) return undefined;
    const base = this.#inbound.get(name)?.subscriptions ?? rec.subscriptions;
    if (!rec.pending) return base;
    return rec.pendingMode === 'replace' ? rec.pending : mergeSubscriptions(base, rec.pending);
  }

  /**
   * Edits the link the peer dialled (add_node merges, update_node replaces): stored as pending
   * and sent over the link; the dialler stores it and reconnects with it.
   */
  async editInbound(name: string, subscriptions: Subscription[], mode: 'merge' | 'replace'): Promise<void> {
    const rec = this.#inboundStore.get(name);
    if (!rec) throw new Error(`no inbound link from '${name}'`);
    const live = this.#inbound.get(name);
    let pending: Subscription[], pendingMode: 'merge' | 'replace';
    if (mode === 'replace') { pending = subscriptions; pendingMode = 'replace'; }
    else if (live?.isOpen) { pending = mergeSubscriptions(rec.pendingMode === 'replace' && rec.pending ? rec.pending : live.subscriptions, subscriptions); pendingMode = 'replace'; }
    else { pending = mergeSubscriptions(rec.pending ?? [], subscriptions); pendingMode = rec.pendingMode ?? 'merge'; }
    await this.#write(() => this.#inboundStore.put(name, { ...rec, pending, pendingMode }));
    if (live?.isOpen) live.sendManifest(pending);
  }

  async addNode(node: NodeRecord): Promise<void> {
    const old = this.#outbound.get(node.name);
    if (old) { old.stopped = true; if (old.timer) clearTimeout(old.timer); old.dialing?.abort(); this.#outbound.delete(node.name); }
    await this.peers.put(node);
    if (this.#removedStore.get(node.name) !== undefined) await this.#write(() => this.#removedStore.remove(node.name));
    if (this.enabled && !this.#stopped && this.#listener) this.#startOutbound(node);
  }

  async updateNode(node: NodeRecord): Promise<void> {
    if (node.removedByPeer) {
      // An explicit edit here is a new intent: dial again (the peer accepts a re-added node).
      const { removedByPeer: _r, ...rest } = node;
      return this.addNode({ ...rest, addedTime: Date.now() });
    }
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
      // The dialler learns it over the link (or when it next dials) and stops dialling.
      await this.#services.records.engine.transaction(() => {
        this.#inboundStore.remove(name);
        if (!inbound.removedByPeer) this.#removedStore.put(name, Date.now());
      });
      const live = this.#inbound.get(name);
      if (live?.isOpen) live.sendManifest([], true);
      live?.close(CLOSE_CODES.NODE_REMOVED, 'node removed from the manifest');
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
    const positions = new Map<string, number>();
    for (const [link, db, table, seq] of this.cursors.allAcked()) positions.set(`${link}\u0000${db}\u0000${table}`, seq);
    // The in-memory position of a live stream is fresher than the persisted one (which is
    // written at most every 200 ms, and not at all before the first ack is saved).
    const live = [...this.#outbound.values()].map((o) => o.session).filter((s): s is Session => !!s).concat([...this.#inbound.values()]);
    for (const s of live) {
      for (const snd of s.senders.values()) {
        const k = `${s.link}\u0000${snd.db}\u0000${snd.table}`;
        if (snd.ackedSeq > 0) positions.set(k, Math.max(positions.get(k) ?? 0, snd.ackedSeq));
      }
    }
    const byTable = new Map<string, [string, number][]>();
    for (const [k, seq] of positions) {
      if (!publishing.has(k)) continue;
      const [link, db, table] = k.split('\u0000') as [string, string, string];
      const tk = `${db}\u0000${table}`;
      const list = byTable.get(tk) ?? [];
      list.push([link, seq]);
      byTable.set(tk, list);
    }
    return (db, table) => byTable.get(`${db}\u0000${table}`) ?? [];
  }

  /** The lowest position a publishing peer acknowledged for a table (undefined: none holds it). */
  lowestAcked(db: string, table: string): number | undefined {
    const list = this.#ackedFor()(db, table);
    return list.length ? Math.min(...list.map(([, s]) => s)) : undefined;
  }

  /** One retention pass (also run periodically). */
  runRetention(): Promise<TrimReport[]> {
    if (this.#retentionRunning) return this.#retentionRunning;
    const { records, changelog } = this.#services;
    this.#retentionRunning = runRetention({ records, changelog, cursors: this.cursors, logger: this.#logger }, this.#config.retention, this.#ackedFor())
      .then((reports) => {
        this.lastRetentionRunAt = Date.now();
        if (reports.length) this.lastTrim = { at: this.lastRetentionRunAt, reports };
        return reports;
      })
      .finally(() => { this.#retentionRunning = null; });
    return this.#retentionRunning;
  }

  // ---- status -------------------------------------------------------------------------------

  #statusContext(): StatusContext {
    return { records: this.#services.records, changelog: this.#services.changelog, cursors: this.cursors, heartbeatMs: this.#config.heartbeatMs, recreateDropped: this.#config.recreateDroppedTables, streamError: (l, d, t) => this.streamError(l, d, t) };
  }

  /** cluster_status body (3.x shape plus FerryDB's per-subscription figures). */
  status(): Record<string, unknown> {
    if (!this.enabled) return { is_enabled: false, node_name: this.nodeName, retention: this.retentionStatus() };
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
        state: s?.isOpen ? 'open' : r.removedByPeer ? 'removed_by_peer' : 'closed',
        dialled_by_peer: true,
        ...(!s?.isOpen ? { error: r.removedByPeer ? `${r.name} removed this node at ${new Date(r.removedByPeer).toISOString()} (remove_node on ${r.name}); remove_node here forgets this entry` : 'peer not connected', last_seen: r.lastSeen ? new Date(r.lastSeen).toISOString() : null } : {}),
        ...(r.pending ? { pending_subscriptions: r.pending.map((x) => ({ channel: channelOf(x), publish: x.publish, subscribe: x.subscribe })) } : {}),
        ...connectionStatus(s),
        subscriptions: (s?.subscriptions ?? r.subscriptions).map((x) => subscriptionStatus(this.#statusContext(), `in:${r.name}`, x, s)),
      };
    });
    return { is_enabled: true, node_name: this.nodeName, status: { outbound_connections: outbound, inbound_connections: inbound }, retention: this.retentionStatus() };
  }

  /** When retention last ran and what it last trimmed (also shown with clustering off). */
  retentionStatus(): Record<string, unknown> {
    return {
      interval_ms: this.#opts.retentionIntervalMs ?? this.#config.retention.intervalMs,
      last_run: this.lastRetentionRunAt ? new Date(this.lastRetentionRunAt).toISOString() : null,
      last_trim: this.lastTrim ? {
        at: new Date(this.lastTrim.at).toISOString(),
        tables: this.lastTrim.reports.map((r) => ({ database: r.database, table: r.table, trimmed_through: r.through, removed: r.removed, ...(r.behind.length ? { peers_behind: r.behind } : {}) })),
      } : null,
    };
  }

  /** Compact figures for system_information. */
  summary(): Record<string, unknown> {
    return { enabled: this.enabled, node_name: this.nodeName, port: this.#port, outbound: this.#outbound.size, inbound: this.#inbound.size };
  }
}
