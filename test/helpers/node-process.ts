/**
 * Starts a real FerryDB node as a child process (node dist/src/main.js) on free 127.0.0.1
 * ports with a temp root path. stop() sends SIGTERM and waits; kill() sends SIGKILL. Both
 * only ever signal the PID this helper started.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './free-port.js';
import { waitFor } from './wait-for.js';

export const MAIN_JS = fileURLToPath(new URL('../../src/main.js', import.meta.url));

export interface StartNodeOptions {
  env?: Record<string, string>;
  nodeName?: string;
  clustering?: boolean;
  /** Reuse a root path (restart); a temp one is created otherwise. */
  rootPath?: string;
  /** Keep the same ports across a restart. */
  opsPort?: number;
  clusteringPort?: number;
  user?: string;
  password?: string;
  clusterUser?: string;
  clusterPassword?: string;
  /** Remove the root path on stop() (default: only when this helper created it). */
  cleanup?: boolean;
}

export interface TestNode {
  url: string;
  opsPort: number;
  clusteringPort: number;
  user: string;
  password: string;
  rootPath: string;
  nodeName: string;
  pid: number;
  output: () => string;
  stop(): Promise<void>;
  kill(): Promise<void>;
}

export async function startNode(opts: StartNodeOptions = {}): Promise<TestNode> {
  const ownRoot = !opts.rootPath;
  const rootPath = opts.rootPath ?? mkdtempSync(join(tmpdir(), 'ferrydb-test-'));
  const opsPort = opts.opsPort ?? (await freePort());
  const clusteringPort = opts.clusteringPort ?? (await freePort());
  const user = opts.user ?? 'admin';
  const password = opts.password ?? 'test-password';
  const nodeName = opts.nodeName ?? `node-${opsPort}`;
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    ROOTPATH: rootPath,
    HDB_ADMIN_USERNAME: user,
    HDB_ADMIN_PASSWORD: password,
    OPERATIONSAPI_NETWORK_PORT: String(opsPort),
    CLUSTERING_PORT: String(clusteringPort),
    NODE_NAME: nodeName,
    LOG_LEVEL: 'info',
    LOG_TO_STDSTREAMS: 'true',
    ...(opts.clustering ? { CLUSTERING: 'true', CLUSTERING_USER: opts.clusterUser ?? 'cluster_user', CLUSTERING_PASSWORD: opts.clusterPassword ?? 'cluster-secret' } : {}),
    ...opts.env,
  };
  const child: ChildProcess = spawn(process.execPath, [MAIN_JS], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); if (out.length > 2_000_000) out = out.slice(-1_000_000); });
  child.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let alive = true;
  void exited.then(() => { alive = false; });
  const url = `http://127.0.0.1:${opsPort}/`;
  try {
    await waitFor(() => {
      if (!alive) throw new Error(`node exited during start-up:\n${out}`);
      return out.includes('ready: operations API');
    }, { timeoutMs: 60_000, what: `node ${nodeName} to start` });
  } catch (err) {
    if (alive) child.kill('SIGKILL');
    await exited;
    throw err;
  }
  const finish = async (signal: NodeJS.Signals) => {
    if (alive) child.kill(signal);
    const timer = setTimeout(() => { if (alive) child.kill('SIGKILL'); }, 10_000);
    await exited;
    clearTimeout(timer);
  };
  return {
    url, opsPort, clusteringPort, user, password, rootPath, nodeName, pid: child.pid!,
    output: () => out,
    async stop() {
      await finish('SIGTERM');
      if (opts.cleanup ?? ownRoot) rmSync(rootPath, { recursive: true, force: true });
    },
    async kill() {
      await finish('SIGKILL');
    },
  };
}
