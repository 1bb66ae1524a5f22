/**
 * Starts a real FerryDB node as a child process for tests, through the demo's launcher
 * (node dist/src/main.js on free 127.0.0.1 ports) with a temp root path and test defaults.
 * stop() sends SIGTERM and waits; kill() sends SIGKILL and waits. Both only ever signal the
 * PID that was started.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { launchNode, NODE_MAIN_JS } from '../../src/demo/node-launcher.js';

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
  // Named after its root path, so a restart on the same root keeps the name.
  const nodeName = opts.nodeName ?? `node-${basename(rootPath).replace(/[^A-Za-z0-9_-]/g, '')}`;
  // Ports not pinned here are free ones, chosen again by the launcher if one is taken meanwhile.
  const node = await launchNode({
    nodeName, rootPath, ports: [opts.opsPort, opts.clusteringPort, undefined, undefined],
    admin: { user, password },
    cluster: { user: opts.clusterUser ?? 'cluster_user', password: opts.clusterPassword ?? 'cluster-secret' },
    env: { LOG_LEVEL: 'info', CLUSTERING: String(opts.clustering ?? false), ...opts.env },
    startTimeoutMs: 60_000,
  });
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
