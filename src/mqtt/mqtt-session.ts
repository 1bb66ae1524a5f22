/**
 * One MQTT connection (3.1.1 or 5) over any byte stream (TCP, TLS, WebSocket): the packet state
 * machine — CONNECT with FerryDB credentials, PUBLISH QoS 0/1/2 in, PUBLISH QoS 0/1 out,
 * SUBSCRIBE/UNSUBSCRIBE, keep-alive, topic aliases (5). What a publish or subscribe means for
 * tables is the broker's (MqttBroker); this file only speaks the protocol. Sessions are clean:
 * nothing is kept after the connection ends (CONNACK sessionPresent is always false).
 */
import type { Duplex } from 'node:stream';
import type { IConnectPacket, IPublishPacket, ISubscribePacket, Packet } from 'mqtt-packet';
import { createRequire } from 'node:module';

/** mqtt-packet, loaded by the first MQTT connection: a node that never sees one does not pay for it at start-up. */
let packets: typeof import('mqtt-packet') | null = null;
const mqttPacket = (): typeof import('mqtt-packet') => (packets ??= createRequire(import.meta.url)('mqtt-packet') as typeof import('mqtt-packet'));

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
  /**
   * Handles a publish and reports its outcome through `ack.done` (0 = accepted, else a reason
   * code and optional reason string), at once or later (after the durable commit).
   */
  publish(session: MqttSession, packet: IPublishPacket, ack: PublishAck): void;
  /** Grants one subscription: a QoS (0/1) or a failure reason code (>= 0x80). */
  subscribe(session: MqttSession, filter: string, qos: number): { granted: number; reason?: string };
  /** Starts delivery of a granted subscription (after the SUBACK: retained messages follow it). */
  subscribed(session: MqttSession, filter: string, qos: number): void;
  unsubscribe(session: MqttSession, filter: string): void;
  closed(session: MqttSession): void;
  /**
   * After each chunk read: false when ingestion is behind (too many records uncommitted); the
   * session then stops reading its stream until `resume()` (backpressure reaches the client's
   * socket, also for QoS 0, instead of memory growing in the node).
   */
  accepting(session: MqttSession): boolean;
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

/** Where the broker reports a publish's outcome (reason code 0 = accepted). */
export interface PublishAck {
  done(code: number, reason?: string): void;
}

/** One publish awaiting its outcome; acknowledgements leave in arrival order. */
class AckSlot implements PublishAck {
  code = -1;
  reason: string | undefined = undefined;
  constructor(readonly packet: IPublishPacket, readonly flush: () => void) {}
  done(code: number, reason?: string): void {
    if (this.code !== -1) return;
    this.code = code;
    this.reason = reason;
    this.flush();
  }
}

export class MqttSession {
  readonly stream: Duplex;
  /** The client's address (the login limiter counts failures per address). */
  readonly remoteAddress: string;
  readonly #handler: SessionHandler;
  readonly #opts: SessionOptions;
  readonly #parser = mqttPacket().parser();
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
  /** Packets that arrived while CONNECT's authentication was pending (handled in order after it). */
  #backlog: Packet[] | null = null;
  /** Bytes of a packet not yet complete (bounded by maxPacketBytes). */
  #partial: Buffer | null = null;
  /** Publishes awaiting their outcome, in arrival order (acknowledged from #ackHead on). */
  #acks: AckSlot[] = [];
  #ackHead = 0;
  readonly #flushAcks = (): void => this.#sendAcks();
  /** QoS 0 publishes while no acknowledgement is pending: only a refusal matters (it ends the session). */
  readonly #qos0Ack: PublishAck = {
    done: (code: number, reason?: string) => { if (code !== REASON.SUCCESS) this.disconnect(code, reason ?? 'publish refused'); },
  };

  constructor(stream: Duplex, handler: SessionHandler, opts: SessionOptions) {
    this.stream = stream;
    this.remoteAddress = opts.remoteAddress ?? (stream as { remoteAddress?: string }).remoteAddress ?? 'unknown';
    this.#handler = handler;
    this.#opts = opts;
    this.#parser.on('packet', (p: Packet) => {
      if (p.cmd === 'connect' && (p as IConnectPacket).protocolVersion === 5) (this.#parser as unknown as { settings: { protocolVersion: number } }).settings.protocolVersion = 5;
      this.#handle(p);
    });
    this.#parser.on('error', (err: Error) => this.disconnect(REASON.MALFORMED_PACKET, `malformed packet: ${err.message}`));
    stream.on('data', (chunk: Buffer) => this.#onData(chunk));
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
    this.#write(mqttPacket().generate(packet, { protocolVersion: this.version }));
  }

  #write(bytes: Buffer): void {
    if (this.#closed) return;
    // Packets sent in one turn (e.g. the PUBACKs of a committed batch) leave in one write.
    if (!this.#corked) {
      this.#corked = true;
      this.stream.cork();
      process.nextTick(() => { this.#corked = false; this.stream.uncork(); });
    }
    this.stream.write(bytes);
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

  /**
   * Splits the byte stream into whole packets (fixed header: type byte, remaining length). A
   * packet over maxPacketBytes is refused from its header, before its bytes are buffered.
   * MQTT 3.1.1 PUBLISH packets of a connected session are read here straight from the chunk
   * (the payload is a view of it, no copy); every other packet goes through mqtt-packet.
   */
  #onData(chunk: Buffer): void {
    if (this.#closed) return;
    let buf = chunk;
    if (this.#partial) { buf = Buffer.concat([this.#partial, chunk]); this.#partial = null; }
    this.#lastPacketAt = Date.now();
    const end = buf.length;
    let off = 0;
    while (off < end && !this.#closed) {
      let i = off + 1, len = 0, mul = 1, complete = false;
      for (let n = 0; n < 4 && i < end; n++) {
        const b = buf[i++]!;
        len += (b & 0x7f) * mul;
        mul *= 128;
        if ((b & 0x80) === 0) { complete = true; break; }
        if (n === 3) return this.disconnect(REASON.MALFORMED_PACKET, 'malformed packet: invalid remaining length');
      }
      if (!complete) break;
      if (len > this.#opts.maxPacketBytes) return this.disconnect(REASON.PACKET_TOO_LARGE, `packet larger than ${this.#opts.maxPacketBytes} bytes`);
      const frameEnd = i + len;
      if (frameEnd > end) break;
      if ((buf[off]! >> 4) === 3 && this.version === 4 && this.#connected && this.#backlog === null) this.#fastPublish(buf, off, i, frameEnd);
      else this.#parser.parse(off === 0 && frameEnd === end ? buf : buf.subarray(off, frameEnd));
      off = frameEnd;
    }
    if (off < end && !this.#closed) this.#partial = buf.subarray(off);
    if (!this.#closed && !this.#handler.accepting(this)) this.stream.pause();
  }

  /** Reads the stream again after a backpressure pause. */
  resume(): void {
    if (!this.#closed) { this.#lastPacketAt = Date.now(); this.stream.resume(); }
  }

  /** An MQTT 3.1.1 PUBLISH read in place: topic, packet id (QoS > 0), payload. */
  #fastPublish(buf: Buffer, start: number, body: number, end: number): void {
    const b0 = buf[start]!;
    const qos = (b0 >> 1) & 3;
    if (qos === 3) return this.disconnect(REASON.MALFORMED_PACKET, 'malformed packet: Packet must not have both QoS bits set to 1');
    let i = body;
    if (end - i < 2) return this.disconnect(REASON.MALFORMED_PACKET, 'malformed packet: Cannot parse topic');
    const topicLength = (buf[i]! << 8) | buf[i + 1]!;
    i += 2;
    if (i + topicLength > end) return this.disconnect(REASON.MALFORMED_PACKET, 'malformed packet: Cannot parse topic');
    const topic = buf.toString('utf8', i, i + topicLength);
    i += topicLength;
    let messageId: number | undefined;
    if (qos > 0) {
      if (end - i < 2) return this.disconnect(REASON.MALFORMED_PACKET, 'malformed packet: Cannot parse messageId');
      messageId = (buf[i]! << 8) | buf[i + 1]!;
      i += 2;
    }
    const p: IPublishPacket = { cmd: 'publish', retain: (b0 & 1) === 1, qos: qos as 0 | 1 | 2, dup: (b0 & 8) !== 0, length: end - body, topic, payload: buf.subarray(i, end) };
    if (messageId !== undefined) p.messageId = messageId;
    this.#onPublish(p);
  }

  /** Handles packets in order; those arriving while CONNECT is being authenticated wait for it. */
  #handle(p: Packet): void {
    if (this.#closed) return;
    if (this.#backlog) { this.#backlog.push(p); return; }
    let pending: Promise<void> | void;
    try {
      pending = this.#onPacket(p);
    } catch {
      return this.destroy();
    }
    if (pending) {
      this.#backlog = [];
      pending.then(() => {
        const waiting = this.#backlog ?? [];
        this.#backlog = null;
        for (let i = 0; i < waiting.length; i++) {
          this.#handle(waiting[i]!);
          // A packet of the backlog may itself wait (a second CONNECT never does, but stay general).
          const again = this.#backlog as Packet[] | null;
          if (again) { again.push(...waiting.slice(i + 1)); return; }
        }
      }, () => this.destroy());
    }
  }

  #onPacket(p: Packet): Promise<void> | void {
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
    if (p.qos === 0 && this.#ackHead === this.#acks.length) return this.#handler.publish(this, p, this.#qos0Ack);
    const slot = new AckSlot(p, this.#flushAcks);
    this.#acks.push(slot);
    this.#handler.publish(this, p, slot);
  }

  /** Sends the outcomes that are known, in arrival order; plain PUBACKs of 3.1.1 leave as one buffer. */
  #sendAcks(): void {
    const acks = this.#acks;
    let head = this.#ackHead;
    while (head < acks.length && acks[head]!.code !== -1 && !this.#closed) {
      if (!this.isV5) {
        let n = 0;
        while (head + n < acks.length && acks[head + n]!.code === REASON.SUCCESS && acks[head + n]!.packet.qos === 1) n++;
        if (n > 0) {
          const out = Buffer.allocUnsafe(4 * n);
          for (let k = 0; k < n; k++) {
            const id = acks[head + k]!.packet.messageId ?? 0;
            out[4 * k] = 0x40; out[4 * k + 1] = 2; out[4 * k + 2] = id >> 8; out[4 * k + 3] = id & 0xff;
          }
          head += n;
          this.#write(out);
          continue;
        }
      }
      const slot = acks[head++]!;
      this.#acknowledge(slot.packet, slot.code, slot.reason);
    }
    if (head === acks.length) { this.#acks = []; this.#ackHead = 0; } else this.#ackHead = head;
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
