/**
 * A TCP forwarder that stands in for the network between two nodes: it listens on
 * 127.0.0.1:A, forwards every connection to 127.0.0.1:B, counts the bytes each way and can
 * cut the link (open connections are destroyed, new ones refused) and restore it.
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

  /** Cuts the link: destroys every open connection and refuses new ones until restore(). */
  cut(): void {
    this.#cut = true;
    for (const s of this.#sockets) s.destroy();
    this.#sockets.clear();
  }

  /** Lets connections through again. */
  restore(): void {
    this.#cut = false;
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
      this.#counters[counter] += chunk.length;
      if (!to.write(chunk)) from.pause();
    });
    to.on('drain', () => from.resume());
  }
}
