/**
 * The MQTT broker over FerryDB tables: listens on mqtt.network.port (TCP) and securePort (TLS,
 * with the node certificate) and takes MQTT-over-WebSocket streams from the HTTP port. A
 * retained publish to `{db}/{table}/{id}` (or `{table}/{id}`, or the table topic with the key
 * in the payload) upserts the record through the batched write path; a retained empty payload
 * deletes it; a publish without retain is a message to current subscribers only (HarperDB's
 * rule). A subscription gets the current records as retained messages, then every change.
 */
import { readFileSync } from 'node:fs';
import { createServer as createNetServer, type Server as NetServer } from 'node:net';
import type { Duplex } from 'node:stream';
import { createServer as createTlsServer } from 'node:tls';
import { assertTableAccess, readableAttributes } from '../auth/permissions.js';
import { basicHeader } from '../auth/credentials.js';
import { internalSuperUser } from '../auth/permissions.js';
import type { User } from '../auth/users.js';
import type { Config } from '../config/load-config.js';
import type { PrimaryKey } from '../changelog/entry.js';
import { toDbError } from '../errors/db-error.js';
import type { Logger } from '../log/logger.js';
import type { Services } from '../operations/context.js';
import type { ChangeFeed } from '../realtime/change-feed.js';
import { decodeRecordPayload } from '../rest/content.js';
import type { IngestObserver } from '../rest/observer.js';
import { keyCandidates } from '../rest/resource-path.js';
import { IngestBatcher, prepareIngestRecord } from './ingest-batcher.js';
import { MqttSession, REASON, type PublishAck, type PublishPacket as IPublishPacket, type SessionHandler } from './mqtt-session.js';
import { filterProblem, recordTopic, resolveFilter, resolveTopic, topicMatches, type TopicTarget } from './topics.js';

export interface MqttBrokerOptions {
  services: Services;
  feed: ChangeFeed;
  config: Config;
  observer: IngestObserver;
  logger: Logger;
}

interface Sub {
  qos: 0 | 1;
  target: TopicTarget;
  stop: () => void;
}

const ANONYMOUS: User = internalSuperUser('mqtt-anonymous');
const EMPTY = Buffer.alloc(0);

function refusal(code: number, message: string): Error & { reasonCode: number } {
  return Object.assign(new Error(message), { reasonCode: code });
}

export class MqttBroker implements SessionHandler {
  readonly #opts: MqttBrokerOptions;
  readonly #batcher: IngestBatcher;
  readonly #sessions = new Map<MqttSession, Map<string, Sub>>();
  readonly #servers: NetServer[] = [];
  readonly #exists: (database: string, table: string) => boolean;
  /** Sessions not reading while ingestion is behind. */
  readonly #paused = new Set<MqttSession>();
  /** Uncommitted records above which sessions stop reading (four full batches). */
  readonly #maxUncommitted: number;

  constructor(opts: MqttBrokerOptions) {
    this.#opts = opts;
    const { services, config, observer } = opts;
    this.#exists = (d, t) => services.catalog.findTable(d, t) !== undefined;
    this.#batcher = new IngestBatcher({
      records: services.records, lingerMs: config.mqtt.ingest.lingerMs, maxRows: config.mqtt.ingest.maxBatchRows,
      onCommitted: (def, rows, submittedAt) => {
        observer.rowsWritten('mqtt', def.database, def.name, rows);
        const now = performance.now();
        for (const at of submittedAt) observer.observed('mqtt', 'publish', (now - at) / 1000);
      },
      refusal: (def, err) => this.#refusal(def, err),
      onSettled: () => {
        if (this.#paused.size && this.#batcher.uncommitted <= this.#maxUncommitted / 2) {
          const paused = [...this.#paused];
          this.#paused.clear();
          for (const session of paused) session.resume();
        }
      },
    });
    this.#maxUncommitted = 4 * config.mqtt.ingest.maxBatchRows;
  }

  /** Connected clients (metrics). */
  get connections(): number {
    return this.#sessions.size;
  }

  /** Opens the TCP port and, when a node certificate is configured, the TLS port. */
  async listen(): Promise<{ port: number; securePort: number | null }> {
    const { config, logger } = this.#opts;
    const net = config.mqtt.network;
    const plain = createNetServer((socket) => { socket.setNoDelay(true); this.handleStream(socket); });
    const port = await listenOn(plain, net.port, net.host);
    this.#servers.push(plain);
    let securePort: number | null = null;
    const cert = config.tls.certificate ?? config.clustering.tls.certificate;
    const key = config.tls.privateKey ?? config.clustering.tls.privateKey;
    if (cert && key) {
      const ca = config.tls.certificateAuthority;
      const secure = createTlsServer({ cert: readFileSync(cert), key: readFileSync(key), ...(ca ? { ca: readFileSync(ca) } : {}) }, (socket) => this.handleStream(socket));
      securePort = await listenOn(secure, net.securePort, net.host);
      this.#servers.push(secure);
    } else logger.info('MQTT over TLS is off: no node certificate (tls.certificate / tls.privateKey)');
    return { port, securePort };
  }

  /** Serves one MQTT connection over any byte stream (TCP, TLS or a WebSocket stream). */
  handleStream(stream: Duplex, remoteAddress?: string): void {
    const { config } = this.#opts;
    const session = new MqttSession(stream, this, {
      maxPacketBytes: config.mqtt.maxPacketBytes,
      maxBufferedBytes: config.http.maxSubscriberBufferBytes,
      maxInflight: 10_000,
      ...(remoteAddress ? { remoteAddress } : {}),
    });
    this.#sessions.set(session, new Map());
  }

  async authenticate(username: string | undefined, password: Buffer | undefined, remoteAddress: string): Promise<unknown> {
    const { services, config } = this.#opts;
    if (username === undefined || username === '') {
      if (!config.mqtt.requireAuthentication) return ANONYMOUS;
      throw refusal(REASON.BAD_USERNAME_OR_PASSWORD, 'Login failed: a username and password are required');
    }
    const header = basicHeader(username, password?.toString('utf8') ?? '');
    const cached = services.users.cached(header);
    if (cached) return cached;
    try {
      return await services.users.authenticate(header, remoteAddress);
    } catch (err) {
      throw refusal(REASON.BAD_USERNAME_OR_PASSWORD, toDbError(err).message);
    }
  }

  publish(session: MqttSession, p: IPublishPacket, ack: PublishAck): void {
    const { services, observer } = this.#opts;
    const user = session.user as User;
    let target: TopicTarget;
    try {
      target = resolveTopic(p.topic, this.#exists);
    } catch (err) {
      return ack.done(REASON.TOPIC_NAME_INVALID, toDbError(err).message);
    }
    const payload = typeof p.payload === 'string' ? Buffer.from(p.payload) : p.payload;
    try {
      if (!p.retain) {
        assertTableAccess(user, target.database, target.table, 'insert');
        this.#forward(p.topic, payload, p.qos === 0 ? 0 : 1);
        return ack.done(REASON.SUCCESS);
      }
      const def = services.catalog.getTable(target.database, target.table);
      const topicKey: PrimaryKey | null = target.id === null ? null : keyCandidates(target.id)[0]!;
      if (payload.length === 0) {
        // An empty retained message clears the retained state: the record is deleted.
        if (topicKey === null) return ack.done(REASON.TOPIC_NAME_INVALID, 'an empty retained payload deletes a record and needs a topic with an id');
        assertTableAccess(user, def.database, def.name, 'delete');
        const existing = keyCandidates(target.id!).find((k) => services.records.get(def, k) !== undefined);
        if (existing === undefined) return ack.done(REASON.SUCCESS);
        services.records.delete(def, [existing], user.username).then((r) => {
          observer.rowsWritten('mqtt', def.database, def.name, r.written.length);
          ack.done(REASON.SUCCESS);
        }, (err: unknown) => { const r = this.#refusal(def, err); ack.done(r.code, r.reason); });
        return;
      }
      let record;
      try {
        record = prepareIngestRecord(def, decodeRecordPayload(payload, p.properties?.contentType), topicKey, services.catalog.attributeSet(def));
      } catch (err) {
        return ack.done(REASON.PAYLOAD_FORMAT_INVALID, toDbError(err).message);
      }
      const attributes = Object.keys(record);
      assertTableAccess(user, def.database, def.name, 'insert', attributes);
      assertTableAccess(user, def.database, def.name, 'update', attributes);
      this.#batcher.submit(def, record, user.username, ack);
    } catch (err) {
      const r = this.#refusal(target, err);
      ack.done(r.code, r.reason);
    }
  }

  /** The reason code for a publish that failed after its topic named a table. */
  #refusal(target: { database: string; name?: string; table?: string }, err: unknown, topic?: string): { code: number; reason: string } {
    const e = toDbError(err);
    const table = target.table ?? target.name;
    if (e.code === 'FORBIDDEN') return { code: REASON.NOT_AUTHORIZED, reason: `not authorized to write to ${target.database}.${table}` };
    if (e.status >= 500) this.#opts.logger.error({ err: e.cause ?? e, table: `${target.database}.${table}`, ...(topic ? { topic } : {}) }, 'MQTT publish failed');
    return { code: REASON.UNSPECIFIED, reason: e.status >= 500 ? 'internal error' : e.message };
  }

  /** A message without retain: delivered to matching subscribers, nothing stored. */
  #forward(topic: string, payload: Buffer, qos: 0 | 1): void {
    for (const [session, subs] of this.#sessions) {
      for (const [filter, sub] of subs) {
        if (topicMatches(filter, topic)) { session.deliver(topic, payload, Math.min(qos, sub.qos) as 0 | 1, false); break; }
      }
    }
  }

  subscribe(session: MqttSession, filter: string, qos: number): { granted: number; reason?: string } {
    const problem = filterProblem(filter);
    if (problem) return { granted: REASON.TOPIC_FILTER_INVALID, reason: problem };
    let target: TopicTarget;
    try {
      target = resolveFilter(filter, this.#exists);
      readableAttributes(session.user as User, target.database, target.table);
    } catch (err) {
      const e = toDbError(err);
      return e.code === 'FORBIDDEN' ? { granted: REASON.NOT_AUTHORIZED, reason: `not authorized to read ${filter}` } : { granted: REASON.TOPIC_FILTER_INVALID, reason: e.message };
    }
    return { granted: qos >= 1 ? 1 : 0 };
  }

  subscribed(session: MqttSession, filter: string, qos: number): void {
    const { services, feed, config } = this.#opts;
    const subs = this.#sessions.get(session);
    if (!subs) return;
    subs.get(filter)?.stop();
    const target = resolveFilter(filter, this.#exists);
    const def = services.catalog.getTable(target.database, target.table);
    const q = qos === 1 ? 1 : 0;
    const attrs = readableAttributes(session.user as User, def.database, def.name);
    const encode = (record: Record<string, unknown>): Buffer => {
      if (!attrs) return Buffer.from(JSON.stringify(record));
      const out: Record<string, unknown> = {};
      for (const a of Object.keys(record)) if (attrs.has(a)) out[a] = record[a];
      return Buffer.from(JSON.stringify(out));
    };
    let live = true;
    const stop = feed.subscribe(def.database, def.name, (e) => {
      if (!live) return;
      const topic = recordTopic(target, e.key);
      if (!topicMatches(filter, topic)) return;
      if (!session.deliver(topic, e.record && e.op !== 'delete' ? encode(e.record) : EMPTY, q, false)) { live = false; stop(); }
    });
    subs.set(filter, { qos: q, target, stop: () => { live = false; stop(); } });
    // Retained messages: the current record(s) the filter matches.
    const h = services.records.handle(def);
    const data = h.data;
    if (target.id !== null && !/[+#]/.test(target.id)) {
      for (const k of keyCandidates(target.id)) {
        const stored = data.get(k);
        if (stored) { session.deliver(recordTopic(target, k), encode(h.view(stored)), q, true); break; }
      }
      return;
    }
    let n = 0;
    for (const { key, value } of data.getRange({ snapshot: false })) {
      if (!live || n >= config.http.maxInitialRecords) break;
      const topic = recordTopic(target, key as PrimaryKey);
      if (!topicMatches(filter, topic)) continue;
      n++;
      if (!session.deliver(topic, encode(h.view(value)), q, true)) break;
    }
  }

  unsubscribe(session: MqttSession, filter: string): void {
    const subs = this.#sessions.get(session);
    subs?.get(filter)?.stop();
    subs?.delete(filter);
  }

  accepting(session: MqttSession): boolean {
    if (this.#batcher.uncommitted < this.#maxUncommitted) return true;
    this.#paused.add(session);
    return false;
  }

  closed(session: MqttSession): void {
    this.#paused.delete(session);
    const subs = this.#sessions.get(session);
    if (subs) for (const s of subs.values()) s.stop();
    this.#sessions.delete(session);
  }

  /** Stops accepting, commits what is queued, then ends every session with "server shutting down". */
  async close(): Promise<void> {
    const stopped = this.#servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())));
    await this.#batcher.drain();
    const sessions = [...this.#sessions.keys()];
    for (const session of sessions) session.disconnect(REASON.SERVER_SHUTTING_DOWN, 'server shutting down');
    if (sessions.length) await new Promise((r) => setTimeout(r, 100));
    for (const session of sessions) session.stream.destroy();
    await Promise.all(stopped);
  }
}

function listenOn(server: NetServer, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as { port: number }).port);
    });
  });
}

