/** Starts the demo's two nodes and the fault proxy between them, and connects hq to the edge. */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { FaultProxy } from './fault-proxy.js';
import { launchNode, type DemoNode } from './node-launcher.js';
import { OpsClient, OpsError } from './ops-client.js';
import { CONFIG_TABLE, DEMO_DATABASE, SENSOR_TABLE, walkthroughSubscriptions } from './options.js';

export interface Cluster {
  edge: DemoNode;
  hq: DemoNode;
  proxy: FaultProxy;
  edgeOps: OpsClient;
  hqOps: OpsClient;
  admin: { user: string; password: string };
}

/** What the demo has started so far, so that it can all be stopped whatever fails. */
export interface Owned {
  nodes: DemoNode[];
  proxy: FaultProxy | null;
}

/** Starts both nodes and the proxy, recording each in `owned` as soon as it exists. */
export async function startCluster(root: string, owned: Owned, note: (line: string) => void): Promise<Cluster> {
  const admin = { user: 'admin', password: randomBytes(9).toString('base64url') };
  const cluster = { user: 'cluster_user', password: randomBytes(12).toString('base64url') };
  // Quick reconnects, so the catch-up starts soon after the link comes back.
  const env = { CLUSTERING_RECONNECT_MINMS: '100', CLUSTERING_RECONNECT_MAXMS: '1000', CLUSTERING_HEARTBEATMS: '1000' };
  // Free ports for both (the launcher chooses again if another process takes one meanwhile).
  const launch = async (nodeName: string) => {
    const node = await launchNode({ nodeName, rootPath: join(root, nodeName), admin, cluster, env });
    owned.nodes.push(node);
    return node;
  };
  const [edge, hq] = await Promise.all([launch('edge'), launch('hq')]);
  const proxy = await FaultProxy.start({ targetPort: edge.clusteringPort });
  owned.proxy = proxy;
  note(`edge node: ${edge.url} (pid ${edge.pid})   hq node: ${hq.url} (pid ${hq.pid})   fault proxy: 127.0.0.1:${proxy.port} -> edge:${edge.clusteringPort}`);
  const edgeOps = new OpsClient(edge.url, admin.user, admin.password);
  const hqOps = new OpsClient(hq.url, admin.user, admin.password);
  for (const ops of [edgeOps, hqOps]) {
    for (const table of [SENSOR_TABLE, CONFIG_TABLE]) {
      try {
        await ops.call({ operation: 'create_table', schema: DEMO_DATABASE, table, hash_attribute: 'id' });
      } catch (err) {
        // Replication may already have created it from the other side.
        if (!(err instanceof OpsError && /already exists/i.test(err.message))) throw err;
      }
    }
  }
  const addNode = { operation: 'add_node', name: 'edge', host: '127.0.0.1', port: proxy.port, subscriptions: walkthroughSubscriptions() };
  try {
    await hqOps.call(addNode);
  } catch (err) {
    if (err instanceof OpsError && err.status === 400 && /not found/i.test(err.message)) {
      throw new Error(`this FerryDB build has no cluster operations yet (add_node: ${err.message})`);
    }
    throw err;
  }
  note(`hq: add_node edge via the proxy, subscribed to ${DEMO_DATABASE}:${SENSOR_TABLE}, publishing ${DEMO_DATABASE}:${CONFIG_TABLE}`);
  note(`Studio while the demo runs: edge ${edge.url}  hq ${hq.url}  (user ${admin.user}, password ${admin.password})`);
  return { edge, hq, proxy, edgeOps, hqOps, admin };
}

/** Runs the demo; resolves with the exit code. */
