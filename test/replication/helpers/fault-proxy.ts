/**
 * A fault-injecting TCP proxy for replication tests: forwards 127.0.0.1:<port> to a target,
 * counts bytes each way, and can cut every connection, refuse new ones, or blackhole (keep
 * sockets open but stop forwarding, to exercise heartbeat detection).
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';

export interface FaultProxy {
  port: number;
  /** Bytes forwarded client -> target and target -> client. */
  bytes(): { up: number; down: number };
  resetBytes(): void;
  connections(): number;
  /** performance.now() of the last connection forwarded (0 when none yet). */
  lastAcceptAt(): number;
  /** Destroys every open connection. */
  cut(): void;
  /** New connections are refused (destroyed on accept) while set. */
  refuse(on: boolean): void;
  /** Stops forwarding without closing anything while set. */
  blackhole(on: boolean): void;
  setTarget(port: number): void;
  close(): Promise<void>;
}

export async function startFaultProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<FaultProxy> {
  let up = 0, down = 0, refusing = false, holed = false, target = targetPort, acceptedAt = 0;
  const pairs = new Set<[Socket, Socket]>();
  const server: Server = createServer((client) => {
    if (refusing) { client.destroy(); return; }
    acceptedAt = performance.now();
    const upstream = createConnection({ host: targetHost, port: target });
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    const end = () => { pairs.delete(pair); client.destroy(); upstream.destroy(); };
    client.on('data', (d) => { if (holed) return; up += d.length; upstream.write(d); });
    upstream.on('data', (d) => { if (holed) return; down += d.length; client.write(d); });
    client.on('error', end); upstream.on('error', end);
    client.on('close', end); upstream.on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as { port: number }).port;
  const cut = () => { for (const [a, b] of pairs) { a.destroy(); b.destroy(); } pairs.clear(); };
  return {
    port,
    bytes: () => ({ up, down }),
    resetBytes: () => { up = 0; down = 0; },
    connections: () => pairs.size,
    lastAcceptAt: () => acceptedAt,
    cut,
    refuse: (on) => { refusing = on; },
    blackhole: (on) => { holed = on; },
    setTarget: (p) => { target = p; },
    close: () => new Promise<void>((resolve) => { cut(); server.close(() => resolve()); }),
  };
}
