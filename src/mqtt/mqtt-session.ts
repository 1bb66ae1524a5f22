/**
 * One MQTT connection (3.1.1 or 5) over any byte stream (TCP, TLS, WebSocket): the packet state
 * machine — CONNECT with FerryDB credentials, PUBLISH QoS 0/1/2 in, PUBLISH QoS 0/1 out,
 * SUBSCRIBE/UNSUBSCRIBE, keep-alive, topic aliases (5). What a publish or subscribe means for
 * tables is the broker's (MqttBroker); this file only speaks the protocol. Sessions are clean:
 * nothing is kept after the connection ends (CONNACK sessionPresent is always false).
 */
import type { Duplex } from 'node:stream';
import { generate, parser as createParser, type IConnectPacket, type IPublishPacket, type ISubscribePacket, type Packet } from 'mqtt-packet';

export type PublishPacket = IPublishPacket;

/** MQTT 5 reason codes FerryDB sends (MQTT 3.1.1 cannot refuse a publish: the connection is closed instead). */
export const REASON = {
  SUCCESS: 0x00,
  UNSPECIFIED: 0x80,
  MALFORMED_PACKET: 0x81,
  PROTOCOL_ERROR: 0x82,
  UNSUPPORTED_PROTOCOL_VERSION: 0x84,
  BAD_USERNAME_OR_PASSWORD: 0x86,
  NOT_AUTHORIZED: 0x87,
  SERVER_SHUTTING_DOWN: 0x8b,
  KEEP_ALIVE_TIMEOUT: 0x8d,
  TOPIC_FILTER_INVALID: 0x8f,
  TOPIC_NAME_INVALID: 0x90,
  PACKET_TOO_LARGE: 0x95,
  QUOTA_EXCEEDED: 0x97,
  PAYLOAD_FORMAT_INVALID: 0x99,
} as const;

/** The broker's side of a session. */
export interface SessionHandler {
  /** Checks credentials; resolves to an opaque user or rejects with a reason code (0x86/0x87). */
  authenticate(username: string | undefined, password: Buffer | undefined, remoteAddress: string): Promise<unknown>;
  /** Handles a publish; resolves to a reason code (0 = accepted) and optional reason string. */
  publish(session: MqttSession, packet: IPublishPacket): Promise<{ code: number; reason?: string }>;
  /** Grants one subscription: a QoS (0/1) or a failure reason code (>= 0x80). */
  subscribe(session: MqttSession, filter: string, qos: number): { granted: number; reason?: string };
  /** Starts delivery of a granted subscription (after the SUBACK: retained messages follow it). */
  subscribed(session: MqttSession, filter: string, qos: number): void;
  unsubscribe(session: MqttSession, filter: string): void;
  closed(session: MqttSession): void;
}

export interface SessionOptions {
  maxPacketBytes: number;
  maxBufferedBytes: number;
  /** Most unacknowledged QoS 1 messages sent to the client before it counts as too slow. */
  maxInflight: number;
  /** The client's address when the stream does not carry one (WebSocket streams). */
  remoteAddress?: string;
}

const TOPIC_ALIAS_MAX = 32;

export class MqttSession {
  readonly stream: Duplex;
  /** The client's address (the login limiter counts failures per address). */
  readonly remoteAddress: string;
  readonly #handler: SessionHandler;
  readonly #opts: SessionOptions;
  readonly #parser = createParser();
  version = 4;
  clientId = '';
  user: unknown = null;
  #connected = false;
  #closed = false;
  #corked = false;
  #keepAliveMs = 0;
  #lastPacketAt = Date.now();
  #keepAliveTimer: NodeJS.Timeout | null = null;
  #nextId = 1;
  readonly #inflight = new Set<number>();
  readonly #aliases = new Map<number, string>();
  /** QoS 2 packet ids awaiting PUBREL (the write is already done). */
  readonly #awaitingRel = new Set<number>();
  /** Packets are processed one at a time, in order, even when a publish awaits its commit. */
  #queue: Promise<void> = Promise.resolve();
  /** Acknowledgements, in the order the publishes arrived. */
  #acks: Promise<void> = Promise.resolve();

  constructor(stream: Duplex, handler: SessionHandler, opts: SessionOptions) {
    this.stream = stream;
    this.remoteAddress = opts.remoteAddress ?? (stream as { remoteAddress?: string }).remoteAddress ?? 'unknown';
    this.#handler = handler;
    this.#opts = opts;
    this.#parser.on('packet', (p: Packet) => {
      if ((p.length ?? 0) > opts.maxPacketBytes) return this.disconnect(REASON.PACKET_TOO_LARGE, `packet larger than ${opts.maxPacketBytes} bytes`);
      if (p.cmd === 'connect' && (p as IConnectPacket).protocolVersion === 5) (this.#parser as unknown as { settings: { protocolVersion: number } }).settings.protocolVersion = 5;
      this.#lastPacketAt = Date.now();
      this.#queue = this.#queue.then(() => this.#onPacket(p)).catch(() => this.destroy());
    });
    this.#parser.on('error', (err: Error) => this.disconnect(REASON.MALFORMED_PACKET, `malformed packet: ${err.message}`));
    stream.on('data', (chunk: Buffer) => { if (!this.#closed) this.#parser.parse(chunk); });
    stream.on('error', () => this.destroy());
    stream.on('close', () => this.destroy());
    stream.on('end', () => this.destroy());
    // A client must send CONNECT promptly.
    this.#keepAliveTimer = setTimeout(() => { if (!this.#connected) this.destroy(); }, 10_000);
  }

  get isV5(): boolean {
    return this.version === 5;
  }

  get isConnected(): boolean {
    return this.#connected && !this.#closed;
  }

  /** Bytes written but not yet sent (the slow-subscriber budget). */
  get bufferedBytes(): number {
    return this.stream.writableLength;
  }

  send(packet: Packet): void {
    if (this.#closed) return;
    // Packets sent in one turn (e.g. the PUBACKs of a committed batch) leave in one write.
    if (!this.#corked) {
      this.#corked = true;
      this.stream.cork();
      process.nextTick(() => { this.#corked = false; this.stream.uncork(); });
    }
    this.stream.write(generate(packet, { protocolVersion: this.version }));
  }

  /**
   * Sends an application message; QoS 1 gets a packet id and stays in flight until PUBACK.
   * Returns false (after disconnecting) when the client is too slow to keep up.
   */
  deliver(topic: string, payload: Buffer, qos: 0 | 1, retain: boolean): boolean {
    if (this.#closed) return false;
    const packet: IPublishPacket = { cmd: 'publish', topic, payload, qos, retain, dup: false };
    if (qos === 1) {
      let id = this.#nextId;
      for (let tries = 0; this.#inflight.has(id) && tries < 65535; tries++) id = (id % 65535) + 1;
      this.#nextId = (id % 65535) + 1;
      packet.messageId = id;
      this.#inflight.add(id);
    }
    if (this.isV5) packet.properties = { contentType: 'application/json' };
    this.send(packet);
    if (this.bufferedBytes > this.#opts.maxBufferedBytes || this.#inflight.size > this.#opts.maxInflight) {
      this.disconnect(REASON.QUOTA_EXCEEDED, `subscriber too slow: more than ${this.#opts.maxBufferedBytes} bytes or ${this.#opts.maxInflight} messages unacknowledged`);
      return false;
    }
    return true;
  }

  async #onPacket(p: Packet): Promise<void> {
    if (this.#closed) return;
    if (!this.#connected) {
      if (p.cmd !== 'connect') return this.destroy();
      return this.#onConnect(p as IConnectPacket);
    }
    switch (p.cmd) {
      case 'publish':
        return this.#onPublish(p as IPublishPacket);
      case 'puback':
        this.#inflight.delete(p.messageId ?? 0);
        return;
      case 'pubrel':
        this.#awaitingRel.delete(p.messageId ?? 0);
        return this.send({ cmd: 'pubcomp', messageId: p.messageId });
      case 'pubrec':
        // We never send QoS 2; answer per protocol anyway.
        return this.send({ cmd: 'pubrel', messageId: p.messageId });
      case 'pubcomp':
        return;
      case 'subscribe':
        return this.#onSubscribe(p as ISubscribePacket);
      case 'unsubscribe':
        for (const f of p.unsubscriptions) this.#handler.unsubscribe(this, f);
        return this.send(this.isV5
          ? { cmd: 'unsuback', messageId: p.messageId, granted: p.unsubscriptions.map(() => 0) } as Packet
          : { cmd: 'unsuback', messageId: p.messageId } as Packet);
      case 'pingreq':
        return this.send({ cmd: 'pingresp' });
      case 'disconnect':
        return this.destroy();
      case 'connect':
        return this.disconnect(REASON.PROTOCOL_ERROR, 'a second CONNECT');
      default:
        return;
    }
  }

  async #onConnect(p: IConnectPacket): Promise<void> {
    this.version = p.protocolVersion ?? 4;
    this.clientId = p.clientId;
    if (this.version !== 4 && this.version !== 5) {
      this.send({ cmd: 'connack', returnCode: 1, sessionPresent: false });
      return this.disconnect(REASON.UNSUPPORTED_PROTOCOL_VERSION, 'unsupported protocol version');
    }
    try {
      this.user = await this.#handler.authenticate(p.username, p.password, this.remoteAddress);
    } catch (err) {
      const code = typeof (err as { reasonCode?: unknown }).reasonCode === 'number' ? (err as { reasonCode: number }).reasonCode : REASON.NOT_AUTHORIZED;
      if (this.isV5) this.send({ cmd: 'connack', reasonCode: code, sessionPresent: false, properties: { reasonString: (err as Error).message } });
      else this.send({ cmd: 'connack', returnCode: code === REASON.BAD_USERNAME_OR_PASSWORD ? 4 : 5, sessionPresent: false });
      // Not destroy(): the refusing CONNACK must reach the client first.
      return this.disconnect(code, 'login failed');
    }
    if (this.#closed) return;
    this.#connected = true;
    if (!this.clientId) this.clientId = `ferrydb-${Math.random().toString(36).slice(2, 12)}`;
    this.#keepAliveMs = (p.keepalive ?? 0) * 1000;
    if (this.#keepAliveTimer) clearTimeout(this.#keepAliveTimer);
    this.#keepAliveTimer = null;
    if (this.#keepAliveMs > 0) {
      this.#keepAliveTimer = setInterval(() => {
        if (Date.now() - this.#lastPacketAt > this.#keepAliveMs * 1.5) this.disconnect(REASON.KEEP_ALIVE_TIMEOUT, 'keep-alive timeout');
      }, Math.max(500, this.#keepAliveMs / 2));
      this.#keepAliveTimer.unref();
    }
    if (this.isV5) {
      this.send({
        cmd: 'connack', reasonCode: 0, sessionPresent: false,
        properties: {
          ...(p.clientId ? {} : { assignedClientIdentifier: this.clientId }),
          maximumPacketSize: this.#opts.maxPacketBytes, topicAliasMaximum: TOPIC_ALIAS_MAX, retainAvailable: true,
          wildcardSubscriptionAvailable: true, sharedSubscriptionAvailable: false, subscriptionIdentifiersAvailable: false,
        },
      });
    } else this.send({ cmd: 'connack', returnCode: 0, sessionPresent: false });
  }

  #onPublish(p: IPublishPacket): void {
    const alias = p.properties?.topicAlias;
    if (alias !== undefined) {
      if (alias < 1 || alias > TOPIC_ALIAS_MAX) return this.disconnect(REASON.PROTOCOL_ERROR, 'topic alias out of range');
      if (p.topic) this.#aliases.set(alias, p.topic);
      else {
        const known = this.#aliases.get(alias);
        if (!known) return this.disconnect(REASON.PROTOCOL_ERROR, 'unknown topic alias');
        p.topic = known;
      }
    }
    if (p.qos === 2 && p.messageId !== undefined && this.#awaitingRel.has(p.messageId)) {
      return this.send({ cmd: 'pubrec', messageId: p.messageId });
    }
    // The write starts now (in packet order); acknowledgements go out in the same order, each
    // once its own commit is durable, without holding up the packets behind it.
    const result = this.#handler.publish(this, p);
    this.#acks = this.#acks.then(() => result).then((r) => this.#acknowledge(p, r.code, r.reason), () => this.destroy());
  }

  #acknowledge(p: IPublishPacket, code: number, reason: string | undefined): void {
    if (this.#closed) return;
    if (code !== REASON.SUCCESS && !this.isV5) {
      // MQTT 3.1.1 has no negative acknowledgement: closing the connection is the refusal.
      return this.disconnect(code, reason ?? 'publish refused');
    }
    const properties = reason && this.isV5 ? { reasonString: reason } : undefined;
    if (p.qos === 1) this.send({ cmd: 'puback', messageId: p.messageId, ...(this.isV5 ? { reasonCode: code } : {}), ...(properties ? { properties } : {}) });
    else if (p.qos === 2) {
      if (code === REASON.SUCCESS) this.#awaitingRel.add(p.messageId!);
      this.send({ cmd: 'pubrec', messageId: p.messageId, ...(this.isV5 ? { reasonCode: code } : {}), ...(properties ? { properties } : {}) });
    } else if (code !== REASON.SUCCESS) this.disconnect(code, reason ?? 'publish refused');
  }

  #onSubscribe(p: ISubscribePacket): void {
    const results = p.subscriptions.map((s) => ({ s, ...this.#handler.subscribe(this, s.topic, Math.min(s.qos, 1)) }));
    const granted = results.map((r) => (r.granted >= 0x80 && !this.isV5 ? 0x80 : r.granted));
    const reason = results.find((r) => r.reason)?.reason;
    this.send({ cmd: 'suback', messageId: p.messageId, granted, ...(this.isV5 && reason ? { properties: { reasonString: reason } } : {}) } as Packet);
    for (const r of results) if (r.granted < 0x80) this.#handler.subscribed(this, r.s.topic, r.granted);
  }

  /** Ends the session with a reason (MQTT 5 DISCONNECT once connected; otherwise just closes), flushing what was sent. */
  disconnect(code: number, reason: string): void {
    if (this.#closed) return;
    if (this.isV5 && this.#connected) this.send({ cmd: 'disconnect', reasonCode: code, properties: { reasonString: reason } } as Packet);
    this.stream.end();
    // A peer that does not read will not let the DISCONNECT through; do not wait for it.
    setTimeout(() => this.stream.destroy(), 1000).unref();
    this.destroy(false);
  }

  destroy(now = true): void {
    if (!this.#closed) {
      this.#closed = true;
      if (this.#keepAliveTimer) { clearTimeout(this.#keepAliveTimer); clearInterval(this.#keepAliveTimer); }
      this.#handler.closed(this);
    }
    if (now) this.stream.destroy();
  }
}
