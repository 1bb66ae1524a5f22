/**
 * system.hdb_nodes: the node manifest (add_node records) in HarperDB 4.x's shape, one row per
 * peer with its name, subscriptions and system_info, and the link state cluster_status shows
 * for it (both read the same manifest, so the two never disagree on which peers exist).
 */
import type { Replication } from './replication.js';

export function hdbNodes(rep: Replication): Record<string, unknown>[] {
  const status = rep.status() as { status?: { outbound_connections?: { node_name: string; state: string }[] } };
  const states = new Map((status.status?.outbound_connections ?? []).map((c) => [c.node_name, c.state]));
  return rep.peers.list().map((n) => ({
    name: n.name,
    host: n.host,
    port: n.port,
    subscriptions: n.subscriptions.map((s) => ({
      channel: `${s.database}:${s.table}`, schema: s.database, database: s.database, table: s.table, publish: s.publish, subscribe: s.subscribe,
      ...(s.startTime !== undefined ? { start_time: new Date(s.startTime).toISOString() } : {}),
    })),
    // FerryDB's handshake does not exchange versions: system_info says what this node knows of the peer.
    system_info: { host_address: n.host, host_port: n.port, state: states.get(n.name) ?? (rep.enabled ? 'closed' : 'disabled') },
    __createdtime__: n.addedTime,
    __updatedtime__: n.addedTime,
  }));
}
