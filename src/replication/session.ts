/**
 * The protocol over one open link: the HELLO/WELCOME handshake, one Receiver per table this
 * side subscribes to (it sends SUB with its durable cursor) and one Sender per table the
 * peer asks for and this side publishes. Decoding errors close the link with a 4xxx code;
 * the transport (peer-connection.ts) and the reconnect policy (replication.ts) live elsewhere.
 */
import type { Logger } from '../log/logger.js';
import type { Records } from '../records/records.js';
import type { CursorStore } from './cursor-store.js';
import type { PeerConnection } from './peer-connection.js';
import { mirrorOf, toWire, type Subscription } from './peers.js';
import { ProtocolError } from './protocol/bytes.js';
import { CLOSE_CODES } from './protocol/close-codes.js';
import { decodeBatchBody, decodeFrame, encodeBatchFrame, encodeControl, type Compression } from './protocol/frame-codec.js';
import { FRAME_TYPES, type HelloMessage, type ManifestMessage, type SubMessage } from './protocol/messages.js';
import { droppedLocally, Receiver } from './receiver.js';
import { Sender, type BatchLimits } from './sender.js';

export interface SessionDeps {
  records: Records;
  cursors: CursorStore;
  logger: Logger;
  self: string;
  limits: BatchLimits;
  compression: Compression;
  heartbeatMs: number;
  /** A subscribed table dropped here is recreated by a full resync (false: paused until it exists again). */
  recreateDropped: boolean;
  /** Batch encoder (tests inject failures). */
  encode?: typeof encodeBatchFrame;
  /**
   * Acceptor: the dialler's HELLO arrived (subscriptions already mirrored). Returning false
   * refuses the link (the callback closes it with its reason).
   */
  onHello?(session: Session, subs: Subscription[], added: number | undefined): boolean;
  /** Dialler: the acceptor edited or removed the link. */
  onManifest?(session: Session, msg: ManifestMessage): void;
  onOpen?(session: Session): void;
  onClose(session: Session, code: number, reason: string): void | Promise<void>;
}

const key = (db: string, table: string) => `${db}\u0000${table}`;

export class Session {
  readonly peer: string;
  readonly direction: 'out' | 'in';
  readonly link: string;
  readonly connection: PeerConnection;
  subscriptions: Subscription[];
  isOpen = false;
  /** Acceptor: the dialler's HELLO was accepted (a refused link leaves no trace). */
  isHelloAccepted = false;
  /** The peer's tables (`database:table`) as it announced them at the handshake. */
  peerTables: string[] | null = null;
  closeReason: string | null = null;
  readonly senders = new Map<string, Sender>();
  readonly receivers = new Map<string, Receiver>();
  readonly #deps: SessionDeps;
  #handshakeTimer: NodeJS.Timeout | null;
  #stallTimer: NodeJS.Timeout | null = null;
  #closed = false;
  #resolveDone!: () => void;
  /** Resolves once the link closed and every stream flushed its positions. */
  readonly done = new Promise<void>((resolve) => { this.#resolveDone = resolve; });

  constructor(deps: SessionDeps, connection: PeerConnection, opts: { peer: string; direction: 'out' | 'in'; subscriptions?: Subscription[]; added?: number }) {
    this.#deps = deps;
    this.peer = opts.peer;
    this.direction = opts.direction;
    this.link = `${opts.direction}:${opts.peer}`;
    this.connection = connection;
    this.subscriptions = opts.subscriptions ?? [];
    connection.attach({ onFrame: (f) => this.#onFrame(f), onClose: (code, reason) => this.#onClosed(code, reason) });
    this.#handshakeTimer = setTimeout(() => this.close(CLOSE_CODES.HANDSHAKE_FAILED, 'handshake timed out'), Math.max(10_000, deps.heartbeatMs * 2));
    this.#handshakeTimer.unref();
    if (this.direction === 'out') {
      const hello: HelloMessage = { type: FRAME_TYPES.HELLO, node: deps.self, subs: this.subscriptions.map(toWire), tables: this.#ownTables(), log: deps.records.changelog.logId, ...(opts.added !== undefined ? { added: opts.added } : {}) };
      connection.send(encodeControl(hello));
    }
  }

  /** The peer's log identity changed (its data started over): forget what we kept for it, before any SUB. */
  #notePeerLog(logId: string | undefined): void {
    if (this.#deps.cursors.notePeerLog(this.peer, logId)) {
      this.#deps.logger.warn({ peer: this.peer }, 'peer started a new change log (its data directory is new): forgot its stream positions; full initial sync both ways');
    }
  }

  /** This node's replicable tables as `database:table` (system tables excluded). */
  #ownTables(): string[] {
    const { catalog } = this.#deps.records;
    const out: string[] = [];
    for (const { name } of catalog.databases()) {
      if (/^(system|hdb_internal)/i.test(name)) continue;
      for (const t of catalog.tables(name)) out.push(`${name}:${t.name}`);
    }
    return out.sort();
  }

  /** Acceptor: tells the dialler the link's new subscription list (in this node's view), or that it was removed. */
  sendManifest(subs: Subscription[], removed = false): void {
    const mirrored = subs.map((s) => toWire({ ...s, publish: s.subscribe, subscribe: s.publish }));
    this.connection.send(encodeControl({ type: FRAME_TYPES.MANIFEST, subs: mirrored, ...(removed ? { removed: true } : {}) }));
  }

  close(code: number, reason: string): void {
    this.closeReason ??= reason;
    this.connection.close(code, reason);
  }

  #onFrame(buf: Buffer): void {
    try {
      const f = decodeFrame(buf);
      if (!this.isOpen && f.type !== FRAME_TYPES.HELLO && f.type !== FRAME_TYPES.WELCOME) throw new ProtocolError(`frame type ${f.type} before the handshake`);
      switch (f.type) {
        case FRAME_TYPES.HELLO: {
          if (this.direction !== 'in' || this.isOpen) throw new ProtocolError('unexpected HELLO');
          if (f.node !== this.peer) throw new ProtocolError(`HELLO from '${f.node}' on a link authenticated as '${this.peer}'`);
          this.subscriptions = f.subs.map(mirrorOf);
          this.peerTables = f.tables ?? null;
          if (this.#deps.onHello && !this.#deps.onHello(this, this.subscriptions, f.added)) return;
          this.#notePeerLog(f.log);
          this.connection.send(encodeControl({ type: FRAME_TYPES.WELCOME, node: this.#deps.self, tables: this.#ownTables(), log: this.#deps.records.changelog.logId }));
          this.#begin();
          return;
        }
        case FRAME_TYPES.WELCOME:
          if (this.direction !== 'out' || this.isOpen) throw new ProtocolError('unexpected WELCOME');
          if (f.node !== this.peer) throw new ProtocolError(`dialled '${this.peer}' but reached '${f.node}'`);
          this.peerTables = f.tables ?? null;
          this.#notePeerLog(f.log);
          this.#begin();
          return;
        case FRAME_TYPES.SUB:
          this.#onSub(f);
          return;
        case FRAME_TYPES.MANIFEST:
          if (this.direction !== 'out') throw new ProtocolError('MANIFEST from the dialling side');
          this.#deps.onManifest?.(this, f);
          return;
        case FRAME_TYPES.ACK:
          this.senders.get(key(f.db, f.table))?.onAck(f);
          return;
        case FRAME_TYPES.NOTICE: {
          const r = this.receivers.get(key(f.db, f.table));
          if (r) {
            r.answered(f.state);
            if (f.message) r.notice = f.message;
            if (f.state === 'resync_required') r.state = 'resync_required';
          }
          // Answers to SUB carry no message; everything else is worth a log line.
          if (f.message) this.#deps.logger.warn({ peer: this.peer, database: f.db, table: f.table, state: f.state, notice: f.message }, 'replication notice from peer');
          return;
        }
        case FRAME_TYPES.BATCH: {
          const r = this.receivers.get(key(f.header.db, f.header.table));
          if (!r) throw new ProtocolError(`batch for '${f.header.db}.${f.header.table}', which this node does not subscribe to`);
          r.enqueue(f.header, buf.length, () => decodeBatchBody(f));
          return;
        }
      }
    } catch (err) {
      const protocol = err instanceof ProtocolError;
      this.#deps.logger.warn({ peer: this.peer, err: protocol ? (err as Error).message : err }, 'closing replication link: bad frame');
      this.close(CLOSE_CODES.PROTOCOL_ERROR, protocol ? (err as Error).message : 'internal error');
    }
  }

  #begin(): void {
    if (this.#handshakeTimer) clearTimeout(this.#handshakeTimer);
    this.#handshakeTimer = null;
    this.isOpen = true;
    for (const s of this.subscriptions) if (s.subscribe) this.#openReceiver(s);
    this.#stallTimer = setInterval(() => this.#tick(), this.#deps.heartbeatMs);
    this.#stallTimer.unref();
    this.#deps.onOpen?.(this);
  }

  /** Starts receiving one table: SUB with the durable cursor (or none after a local drop). */
  #openReceiver(s: Subscription): void {
    const { records, cursors, self, logger } = this.#deps;
    const r = new Receiver({
      records, cursors, link: this.link, self, peer: this.peer,
      send: (frame) => this.connection.send(frame),
      encodeAck: (a) => encodeControl({ type: FRAME_TYPES.ACK, ...a }),
      onError: (err) => {
        logger.error({ err, peer: this.peer, database: s.database, table: s.table }, 'applying a replication batch failed; reconnecting');
        this.close(CLOSE_CODES.APPLY_FAILED, 'apply failed');
      },
      onDropped: () => this.#onDropped(s),
      ...(s.startTime !== undefined ? { since: s.startTime } : {}),
    }, s.database, s.table);
    this.receivers.set(key(s.database, s.table), r);
    const dropped = cursors.droppedAt(this.link, s.database, s.table);
    if (dropped !== undefined) {
      const when = new Date(dropped).toISOString();
      if (!this.#deps.recreateDropped && !records.catalog.findTable(s.database, s.table)) {
        r.state = 'dropped_locally';
        r.notice = `${s.database}.${s.table} was dropped on this node at ${when}; the subscription is paused until the table is created again (then all of the peer's rows are resynced)`;
        return;
      }
      r.notice = `${s.database}.${s.table} was dropped on this node at ${when}; resyncing all of the peer's rows into it (a merge, nothing deleted)`;
      r.onSynced = () => {
        // Stays visible for the life of this link, so the drop is never silent.
        r.pinnedNotice = `${s.database}.${s.table} was dropped on this node at ${when}; recreated with a full resync of the peer's rows at ${new Date().toISOString()}`;
        r.notice = r.pinnedNotice;
        void cursors.clearDropped(this.link, s.database, s.table).catch(() => undefined);
      };
    }
    this.connection.send(encodeControl(r.subscription()));
  }

  /** A subscribed table was dropped here: forget its cursor and restart the link's streams. */
  #onDropped(s: Subscription): void {
    const { cursors, logger, recreateDropped } = this.#deps;
    const r = this.receivers.get(key(s.database, s.table));
    if (r) r.notice = `${s.database}.${s.table} was dropped on this node at ${new Date().toISOString()}; ${recreateDropped ? 'recreating it with a full resync of the peer\'s rows' : 'the subscription is paused until the table is created again'}`;
    logger.warn({ peer: this.peer, database: s.database, table: s.table, recreate: recreateDropped }, recreateDropped
      ? 'a subscribed table was dropped locally; recreating it with a full resync from the peer'
      : 'a subscribed table was dropped locally; the subscription is paused until the table is created again');
    void cursors.markDropped(this.link, s.database, s.table)
      .catch((err: unknown) => logger.warn({ err, peer: this.peer }, 'could not record a local drop'))
      .finally(() => this.close(CLOSE_CODES.TABLE_DROPPED, `${s.database}.${s.table} was dropped on ${this.#deps.self}`));
  }

  /** Every heartbeat: stalled senders, locally dropped tables, paused tables that are back. */
  #tick(): void {
    for (const snd of this.senders.values()) snd.checkStall();
    const { records, cursors } = this.#deps;
    for (const s of this.subscriptions) {
      if (!s.subscribe) continue;
      const r = this.receivers.get(key(s.database, s.table));
      if (!r) continue;
      if (r.state === 'dropped_locally') {
        if (records.catalog.findTable(s.database, s.table)) this.#openReceiver(s);
      } else if (droppedLocally(records, cursors.cursor(this.link, s.database, s.table), s.database, s.table)) {
        r.dropped();
      }
    }
  }

  #onSub(req: SubMessage): void {
    const s = this.subscriptions.find((x) => x.database === req.db && x.table === req.table);
    if (!s || !s.publish) {
      this.connection.send(encodeControl({ type: FRAME_TYPES.NOTICE, db: req.db, table: req.table, state: 'refused', message: `node '${this.#deps.self}' does not publish ${req.db}.${req.table} to '${this.peer}'` }));
      return;
    }
    const k = key(req.db, req.table);
    this.senders.get(k)?.close();
    const { records, cursors, logger, limits, compression, heartbeatMs, encode } = this.#deps;
    const sender = new Sender({
      records, cursors, logger, limits, compression, link: this.link, peer: this.peer,
      fail: (reason) => this.close(CLOSE_CODES.SEND_FAILED, reason.slice(0, 120)),
      ...(encode ? { encode } : {}),
      stallMs: Math.max(30_000, heartbeatMs * 6),
      send: (frame) => this.connection.send(frame),
      isOpen: () => this.connection.isOpen,
      notice: (db, table, state, message) => this.connection.send(encodeControl({ type: FRAME_TYPES.NOTICE, db, table, state, message })),
    }, { ...req, ...(s.startTime !== undefined && req.since === undefined ? { since: s.startTime } : {}) });
    this.senders.set(k, sender);
    sender.start();
  }

  #onClosed(code: number, reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.isOpen = false;
    if (this.#handshakeTimer) clearTimeout(this.#handshakeTimer);
    if (this.#stallTimer) clearInterval(this.#stallTimer);
    const flushing: Promise<void>[] = [];
    for (const s of this.senders.values()) flushing.push(s.close());
    for (const r of this.receivers.values()) flushing.push(r.close());
    this.closeReason ??= reason;
    void Promise.all(flushing)
      .then(() => this.#deps.onClose(this, code, reason))
      .catch((err: unknown) => this.#deps.logger.warn({ err, peer: this.peer }, 'error while closing a replication link'))
      .finally(() => this.#resolveDone());
  }
}
