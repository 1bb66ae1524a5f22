/**
 * cluster_status in both HarperDB shapes at once: the 3.x keys (`status.outbound_connections`
 * / `inbound_connections`, one entry per link) and the 4.x `connections` list (one entry per
 * peer, whichever side dialled), with FerryDB's own figures kept as extra fields. The 4.x
 * `ports`, `latency_ms`, `uptime` and `system_info` come from asking each connected peer who it
 * is (the identity endpoint; `latency_ms` is that round trip, as 4.x measures it over NATS).
 * Synchronous: the last answer is shown and a refresh runs in the background (the metrics
 * module reads cluster_status synchronously).
 */
import type { PeerDirectory, Seen } from './peer-directory.js';
import type { Replication } from './replication.js';

/** A change-log purge made by purge_stream, shown in status (never silent). */
export interface PurgeRecord {
  database: string;
  table: string;
  removed: number;
  through: number;
  at: string;
  /** Links that had not received all the purged entries (they resync current rows). */
  peers_resynced: string[];
}

type Conn = Record<string, unknown> & { node_name: string; state?: string; subscriptions?: Record<string, unknown>[] };

/** "30d 1h 18m 8s", HarperDB's uptime format. */
export function formatUptime(ms: number): string {
  let s = Math.max(0, Math.floor(ms / 1000));
  const d = Math.floor(s / 86400); s -= d * 86400;
  const h = Math.floor(s / 3600); s -= h * 3600;
  const m = Math.floor(s / 60); s -= m * 60;
  return `${d}d ${h}h ${m}m ${s}s`;
}

const plainHost = (h: unknown) => (typeof h === 'string' ? h.replace(/^::ffff:/, '') : null);

function connectionEntry(name: string, links: { out?: Conn; in?: Conn }, seen: Seen | null, purges: PurgeRecord[]): Record<string, unknown> {
  const open = [links.out, links.in].some((l) => l?.state === 'open');
  const lastPurge = (db: unknown, table: unknown) => [...purges].reverse().find((p) => p.database === db && p.table === table);
  const subs = (['out', 'in'] as const).flatMap((dir) => (links[dir]?.subscriptions ?? []).map((s) => {
    const p = lastPurge(s.schema, s.table);
    return { ...s, link: dir === 'out' ? 'outbound' : 'inbound', ...(p ? { last_purge: p } : {}) };
  }));
  const primary = (links.out ?? links.in)!;
  const extras: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(primary)) if (!['node_name', 'subscriptions', 'state'].includes(k)) extras[k] = v;
  return {
    node_name: name,
    status: open ? 'open' : 'closed',
    ports: { clustering: seen?.identity.ports.clustering ?? (links.out ? links.out.host_port : null) ?? null, operations_api: seen?.identity.ports.operations_api ?? null },
    latency_ms: seen ? seen.latencyMs : null,
    uptime: seen ? formatUptime(seen.identity.uptime_ms + (Date.now() - seen.at)) : null,
    subscriptions: subs,
    system_info: seen?.identity.system_info ?? null,
    // FerryDB's figures
    direction: links.out && links.in ? 'both' : links.out ? 'outbound' : 'inbound',
    state: links.out?.state === 'open' || !links.in ? primary.state : links.in.state,
    ...extras,
  };
}

export function clusterStatus(rep: Replication, directory: PeerDirectory, purges: () => PurgeRecord[] = () => []): Record<string, unknown> {
  const base = rep.status() as { is_enabled: boolean; node_name: string; status?: { outbound_connections: Conn[]; inbound_connections: Conn[] } } & Record<string, unknown>;
  const { is_enabled: _enabled, node_name: _name, status: _status, ...others } = base;
  const done = purges();
  if (!base.is_enabled || !base.status) return { node_name: base.node_name, is_enabled: false, connections: [], ...others, ...(done.length ? { purges: done } : {}) };
  const byName = new Map<string, { out?: Conn; in?: Conn }>();
  for (const c of base.status.outbound_connections) byName.set(c.node_name, { ...byName.get(c.node_name), out: c });
  for (const c of base.status.inbound_connections) byName.set(c.node_name, { ...byName.get(c.node_name), in: c });
  const connections = [...byName].map(([name, links]) => {
    const open = [links.out, links.in].some((l) => l?.state === 'open');
    // Where to ask: the address this node dials; for a peer that dials in, where it last answered.
    const target = links.out ? { host: String(links.out.host_address), port: Number(links.out.host_port) } : null;
    const seen = open ? directory.cached(name, target, inboundGuess(rep, links.in)) : null;
    return connectionEntry(name, links, seen, done);
  });
  return { node_name: base.node_name, is_enabled: true, connections, status: base.status, ...others, ...(done.length ? { purges: done } : {}) };
}

/** A peer that dialled in listens, by the 4.x convention, on this node's clustering port at its own address. */
function inboundGuess(rep: Replication, link: Conn | undefined): { host: string; port: number } | null {
  const host = plainHost(link?.host_address);
  return host ? { host, port: rep.clusteringPort } : null;
}
