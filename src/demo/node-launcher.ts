/**
 * Starts FerryDB nodes for the demo as child processes of `node dist/src/main.js`, on free
 * 127.0.0.1 ports with their own root path. Children get their own process group, so a
 * Ctrl-C in the terminal reaches only the demo, which then stops them by PID.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { fileURLToPath } from 'node:url';

/** The node's process entry, next to this file once compiled (dist/src/main.js). */
export const NODE_MAIN_JS = fileURLToPath(new URL('../main.js', import.meta.url));

export interface LaunchOptions {
  nodeName: string;
  rootPath: string;
  admin: { user: string; password: string };
  cluster: { user: string; password: string };
  /**
   * The node's four ports (operations, clustering, HTTP, MQTT). A port left undefined (or all of
   * them, when absent) is a free one; a start refused because one of those was taken meanwhile is
   * retried on new free ones.
   */
  ports?: readonly [number | undefined, number | undefined, number | undefined, number | undefined];
  /** Extra environment (settings by their environment names). */
  env?: Record<string, string>;
  startTimeoutMs?: number;
}

export interface DemoNode {
  readonly nodeName: string;
  readonly url: string;
  readonly opsPort: number;
  readonly clusteringPort: number;
  /** HTTP port (REST, real-time, MQTT over WebSocket, /metrics). */
  readonly httpPort: number;
  /** MQTT (TCP) port. */
  readonly mqttPort: number;
  readonly rootPath: string;
  readonly pid: number;
  readonly exited: boolean;
  /** The last part of the node's stdout/stderr. */
  output(): string;
  /** SIGTERM, then SIGKILL after graceMs; resolves once the process is gone. */
  stop(graceMs?: number): Promise<void>;
  /** Synchronous SIGKILL by PID (for process exit handlers). */
  killNow(): void;
  /** SIGKILL by PID; resolves once the process is gone. */
  kill(): Promise<void>;
}

/** Lowest port freePorts() hands out (below it sit well-known and registered services). */
const LOW_PORT = 10_000;

/**
 * The kernel's range for ephemeral ports (the source ports of outgoing connections and what
 * listen(0) returns): ports a process picks for a child to bind later are taken from below it,
 * where no connect() or listen(0) anywhere on the machine can take them in the meantime.
 */
function ephemeralRange(): [number, number] {
  try {
    const [lo, hi] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (Number.isInteger(lo) && Number.isInteger(hi)) return [lo!, hi!];
  } catch { /* not Linux: fall through */ }
  return [32_768, 60_999];
}

/** Binds 127.0.0.1:port (0: any) and keeps it open; resolves null when it is taken. */
function hold(port: number): Promise<Server | null> {
  const srv = createServer();
  return new Promise((resolve) => {
    srv.once('error', () => resolve(null));
    srv.listen({ port, host: '127.0.0.1', exclusive: true }, () => resolve(srv));
  });
}

/**
 * `count` distinct free ports on 127.0.0.1, for a child process to bind. All are held open until
 * every one is chosen, so none is handed out twice. They are drawn at random from below the
 * ephemeral range (when it leaves room for that): between the choice and the child's bind, or
 * across a restart that reuses them, no outgoing connection's source port and no listen(0) can
 * take one (that window failed CI runs). Only another caller drawing the same port can, and
 * launchNode retries a start refused for a port in use. Falls back to listen(0).
 */
export async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  const [ephemeralLow] = ephemeralRange();
  const span = ephemeralLow - LOW_PORT;
  try {
    for (let tries = 0; servers.length < count; tries++) {
      const pick = span >= 1000 && tries < count * 50 ? LOW_PORT + Math.floor(Math.random() * span) : 0;
      const srv = await hold(pick);
      if (srv) servers.push(srv);
      else if (pick === 0) throw new Error('no free port on 127.0.0.1');
    }
    return servers.map((srv) => (srv.address() as { port: number }).port);
  } finally {
    await Promise.all(servers.map((srv) => new Promise<void>((resolve) => srv.close(() => resolve()))));
  }
}

export async function launchNode(options: LaunchOptions): Promise<DemoNode> {
  const pins = options.ports ?? [undefined, undefined, undefined, undefined];
  const allPinned = pins.every((p) => p !== undefined);
  for (let attempt = 1; ; attempt++) {
    // Another process can take a free port between freePorts() and the node's bind.
    const free = allPinned ? [] : await freePorts(4);
    const ports = pins.map((p, i) => p ?? free[i]!) as [number, number, number, number];
    try {
      return await launchOnce(options, ports);
    } catch (err) {
      if (attempt >= 5 || allPinned || !/is already in use/.test(String((err as Error).message))) throw err;
    }
  }
}

async function launchOnce(options: LaunchOptions, [opsPort, clusteringPort, httpPort, mqttPort]: [number, number, number, number]): Promise<DemoNode> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    ROOTPATH: options.rootPath,
    HDB_ADMIN_USERNAME: options.admin.user,
    HDB_ADMIN_PASSWORD: options.admin.password,
    OPERATIONSAPI_NETWORK_HOST: '127.0.0.1',
    OPERATIONSAPI_NETWORK_PORT: String(opsPort),
    HTTP_HOST: '127.0.0.1',
    HTTP_PORT: String(httpPort),
    MQTT_NETWORK_PORT: String(mqttPort),
    CLUSTERING: 'true',
    CLUSTERING_HOST: '127.0.0.1',
    CLUSTERING_PORT: String(clusteringPort),
    CLUSTERING_USER: options.cluster.user,
    CLUSTERING_PASSWORD: options.cluster.password,
    NODE_NAME: options.nodeName,
    LOG_LEVEL: 'warn',
    LOG_TO_STDSTREAMS: 'true',
    ...options.env,
  };
  const child: ChildProcess = spawn(process.execPath, [NODE_MAIN_JS], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  const collect = (d: Buffer) => {
    out += d.toString();
    if (out.length > 200_000) out = out.slice(-100_000);
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  let alive = true;
  const exited = new Promise<void>((resolve) => child.once('exit', () => { alive = false; resolve(); }));
  const killNow = () => {
    if (alive && child.pid) {
      try { process.kill(child.pid, 'SIGKILL'); } catch { /* already gone */ }
    }
  };
  const deadline = Date.now() + (options.startTimeoutMs ?? 30_000);
  while (!out.includes('ready: operations API')) {
    if (!alive) throw new Error(`node '${options.nodeName}' exited during start-up:\n${out.slice(-4000)}`);
    if (Date.now() > deadline) {
      killNow();
      await exited;
      throw new Error(`node '${options.nodeName}' did not start within ${options.startTimeoutMs ?? 30_000} ms:\n${out.slice(-4000)}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  return {
    nodeName: options.nodeName,
    url: `http://127.0.0.1:${opsPort}/`,
    opsPort, clusteringPort, httpPort, mqttPort, rootPath: options.rootPath, pid: child.pid!,
    get exited() { return !alive; },
    output: () => out,
    async stop(graceMs = 10_000) {
      if (!alive) return;
      try { process.kill(child.pid!, 'SIGTERM'); } catch { /* already gone */ }
      const timer = setTimeout(killNow, graceMs);
      await exited;
      clearTimeout(timer);
    },
    killNow,
    async kill() {
      killNow();
      await exited;
    },
  };
}
