/**
 * A TCP forwarder that stands in for the network between two nodes: it listens on
 * 127.0.0.1:A, forwards every connection to 127.0.0.1:B, counts the bytes each way and can
 * cut the link (open connections are destroyed, new ones refused) and restore it, or
 * blackhole it (connections stay open, nothing is forwarded). Used by the demo, the
 * replication tests and the replication benchmark.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

export interface FaultProxyOptions {
  targetPort: number;
  targetHost?: string;
  /** 0 (default) picks a free port. */
  listenPort?: number;
  listenHost?: string;
}

export interface ProxyCounters {
  /** Bytes from the dialling side to the target. */
  bytesToTarget: number;
  /** Bytes from the target back to the dialling side. */
  bytesFromTarget: number;
  /** Connections accepted (refused ones not included). */
  connections: number;
  /** Connections refused while the link was cut. */
  refused: number;
  /** Connections open now. */
  open: number;
}

export class FaultProxy {
  readonly #server: Server;
  readonly #target: { host: string; port: number };
  readonly #sockets = new Set<Socket>();
  readonly #counters: ProxyCounters = { bytesToTarget: 0, bytesFromTarget: 0, connections: 0, refused: 0, open: 0 };
  #cut = false;
  #blackhole = false;
  #lastAcceptAt = 0;
  #firstAcceptSinceRestore = 0;
  #port = 0;

  private constructor(options: FaultProxyOptions) {
    this.#target = { host: options.targetHost ?? '127.0.0.1', port: options.targetPort };
    this.#server = createServer((client) => this.#accept(client));
  }

  /** Starts listening; resolves once the port is bound. */
  static async start(options: FaultProxyOptions): Promise<FaultProxy> {
    const proxy = new FaultProxy(options);
    await new Promise<void>((resolve, reject) => {
      proxy.#server.once('error', reject);
      proxy.#server.listen(options.listenPort ?? 0, options.listenHost ?? '127.0.0.1', () => {
        proxy.#server.off('error', reject);
        resolve();
      });
    });
    proxy.#port = (proxy.#server.address() as { port: number }).port;
    return proxy;
  }

  get port(): number {
    return this.#port;
  }

  get isCut(): boolean {
    return this.#cut;
  }

  /** A copy of the counters. */
  counters(): ProxyCounters {
    return { ...this.#counters, open: this.#countOpen() };
  }

  /** performance.now() of the last accepted connection (0 before the first). */
  get lastAcceptAt(): number {
    return this.#lastAcceptAt;
  }

  /** performance.now() of the first connection accepted since the last restore() (0 if none yet). */
  get firstAcceptSinceRestore(): number {
    return this.#firstAcceptSinceRestore;
  }

  /** Zeroes the byte counters (between measurements). */
  resetCounters(): void {
    this.#counters.bytesToTarget = 0;
    this.#counters.bytesFromTarget = 0;
  }

  /** Cuts the link: destroys every open connection and refuses new ones until restore(). */
  cut(): void {
    this.#cut = true;
    this.disconnectAll();
  }

  /** Destroys every open connection; new ones are still accepted unless the link is cut. */
  disconnectAll(): void {
    for (const s of this.#sockets) s.destroy();
    this.#sockets.clear();
  }

  /** While on, open connections stay up but nothing is forwarded (a silently dead link). */
  blackhole(on: boolean): void {
    this.#blackhole = on;
  }

  /** Lets connections through again. */
  restore(): void {
    this.#cut = false;
    this.#firstAcceptSinceRestore = 0;
  }

  /** Stops listening and destroys every connection. */
  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    this.#sockets.clear();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #countOpen(): number {
    // Each forwarded connection is a pair of sockets.
    return Math.floor(this.#sockets.size / 2);
  }

  #accept(client: Socket): void {
    if (this.#cut) {
      this.#counters.refused++;
      client.destroy();
      return;
    }
    this.#counters.connections++;
    this.#lastAcceptAt = performance.now();
    if (this.#firstAcceptSinceRestore === 0) this.#firstAcceptSinceRestore = this.#lastAcceptAt;
    const upstream = connect(this.#target.port, this.#target.host);
    this.#sockets.add(client);
    this.#sockets.add(upstream);
    const closeBoth = () => {
      client.destroy();
      upstream.destroy();
      this.#sockets.delete(client);
      this.#sockets.delete(upstream);
    };
    client.on('error', closeBoth).on('close', closeBoth);
    upstream.on('error', closeBoth).on('close', closeBoth);
    this.#forward(client, upstream, 'bytesToTarget');
    this.#forward(upstream, client, 'bytesFromTarget');
  }

  #forward(from: Socket, to: Socket, counter: 'bytesToTarget' | 'bytesFromTarget'): void {
    from.on('data', (chunk: Buffer) => {
      if (this.#blackhole) return;
      this.#counters[counter] += chunk.length;
      if (!to.write(chunk)) from.pause();
    });
    to.on('drain', () => from.resume());
  }
}
