/**
 * An in-process node on 127.0.0.1 port 0 with a temp root path, for operation tests.
 * close() stops it and removes the directory unless keepRoot is set.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load-config.js';
import { createNode, type FerryNode } from '../../src/server.js';
import { opsClient, type Op } from './http-client.js';

export interface TestServer {
  node: FerryNode;
  url: string;
  op: Op;
  rootPath: string;
  /** Every port the node bound (HTTP port, MQTT). */
  ports: Awaited<ReturnType<FerryNode['listen']>>;
  close(): Promise<void>;
}

export async function startTestServer(env: Record<string, string> = {}, options: { rootPath?: string; keepRoot?: boolean; clock?: () => number } = {}): Promise<TestServer> {
  const rootPath = options.rootPath ?? mkdtempSync(join(tmpdir(), 'ferrydb-it-'));
  const config = loadConfig({
    env: { ROOTPATH: rootPath, HDB_ADMIN_USERNAME: 'admin', HDB_ADMIN_PASSWORD: 'secret-pw', OPERATIONSAPI_NETWORK_PORT: '0', HTTP_PORT: '0', MQTT_NETWORK_PORT: '0', MQTT_NETWORK_SECUREPORT: '0', LOG_LEVEL: 'silent', ...env },
  });
  const node = await createNode(config, options.clock ? { clock: options.clock } : {});
  const ports = await node.listen();
  const { operations } = ports;
  const url = `http://127.0.0.1:${operations.port}/`;
  return {
    node, url, rootPath, ports, op: opsClient(url, 'admin', 'secret-pw'),
    async close() {
      await node.close();
      if (!options.keepRoot) rmSync(rootPath, { recursive: true, force: true });
    },
  };
}
