/**
 * Starts a real FerryDB node as a child process for tests, through the demo's launcher
 * (node dist/src/main.js on free 127.0.0.1 ports) with a temp root path and test defaults.
 * stop() sends SIGTERM and waits; kill() sends SIGKILL and waits. Both only ever signal the
 * PID that was started.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts, launchNode, NODE_MAIN_JS } from '../../src/demo/node-launcher.js';

export const MAIN_JS = NODE_MAIN_JS;

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
  httpPort: number;
  mqttPort: number;
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
  const user = opts.user ?? 'admin';
  const password = opts.password ?? 'test-password';
  // A free port can be taken by another test's process between freePorts() and the node's bind
  // (tests run two files at once): a start refused for a port in use is retried with new free
  // ports for every port the caller did not pin.
  let node: Awaited<ReturnType<typeof launchNode>>;
  let nodeName = opts.nodeName ?? '';
  for (let attempt = 1; ; attempt++) {
    const free = await freePorts(4);
    const ports = [opts.opsPort ?? free[0]!, opts.clusteringPort ?? free[1]!, free[2]!, free[3]!] as const;
    nodeName = opts.nodeName ?? `node-${ports[0]}`;
    try {
      node = await launchNode({
        nodeName, rootPath, ports,
        admin: { user, password },
        cluster: { user: opts.clusterUser ?? 'cluster_user', password: opts.clusterPassword ?? 'cluster-secret' },
        env: { LOG_LEVEL: 'info', CLUSTERING: String(opts.clustering ?? false), ...opts.env },
        startTimeoutMs: 60_000,
      });
      break;
    } catch (err) {
      if (attempt >= 5 || !/is already in use/.test(String((err as Error).message))) throw err;
    }
  }
  return {
    url: node.url, opsPort: node.opsPort, clusteringPort: node.clusteringPort, httpPort: node.httpPort, mqttPort: node.mqttPort, user, password, rootPath, nodeName, pid: node.pid,
    output: () => node.output(),
    async stop() {
      await node.stop();
      if (opts.cleanup ?? ownRoot) rmSync(rootPath, { recursive: true, force: true });
    },
    kill: () => node.kill(),
  };
}
