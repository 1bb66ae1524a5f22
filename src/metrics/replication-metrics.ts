/**
 * Replication gauges built from the cluster_status operation's output (never from replication
 * internals), so /metrics and cluster_status always agree: one gauge per link and per
 * subscription, labelled peer, direction (outbound: this node dialled; inbound) and channel.
 */
import { Counter, Gauge, type Registry } from 'prom-client';

export interface ReplicationGauges {
  /** Reads cluster_status once to notice reconnects between scrapes. */
  sample(): void;
}

type Status = Record<string, unknown> | null;
type Row = Record<string, unknown>;

const SUB_FIGURES = [
  ['ferrydb_replication_backlog_rows', 'Change-log rows not yet acknowledged by the peer (cluster_status backlog_rows)', 'backlog_rows', 1],
  ['ferrydb_replication_lag_seconds', 'Replication lag of the subscription (cluster_status lag_ms / 1000)', 'lag_ms', 0.001],
  ['ferrydb_replication_bytes_sent', 'Bytes sent for the subscription (durable total, cluster_status bytes_sent)', 'bytes_sent', 1],
  ['ferrydb_replication_bytes_received', 'Bytes received for the subscription (durable total, cluster_status bytes_received)', 'bytes_received', 1],
  ['ferrydb_replication_rows_sent', 'Rows sent for the subscription (durable total, cluster_status rows_sent)', 'rows_sent', 1],
  ['ferrydb_replication_rows_received', 'Rows received for the subscription (durable total, cluster_status rows_received)', 'rows_received', 1],
  ['ferrydb_replication_resyncs', 'Full resynchronisations of the subscription (durable total, cluster_status resyncs)', 'resyncs', 1],
] as const;

/** Links of a cluster_status answer with their direction. */
export function linksOf(status: Status): { direction: 'outbound' | 'inbound'; link: Row }[] {
  const s = (status?.status ?? null) as { outbound_connections?: Row[]; inbound_connections?: Row[] } | null;
  if (!s) return [];
  return [
    ...(s.outbound_connections ?? []).map((link) => ({ direction: 'outbound' as const, link })),
    ...(s.inbound_connections ?? []).map((link) => ({ direction: 'inbound' as const, link })),
  ];
}

export function replicationFigures(register: Registry, read: () => Status): ReplicationGauges {
  let cached: { at: number; status: Status } | null = null;
  const status = (): Status => {
    if (!cached || Date.now() - cached.at > 200) cached = { at: Date.now(), status: read() };
    return cached.status;
  };
  const seen = new Map<string, unknown>();
  const reconnects = new Counter({ name: 'ferrydb_replication_reconnects_total', help: 'Times a replication link was (re)established after the first connection, per peer and direction (seen as a new cluster_status connected_since)', labelNames: ['peer', 'direction'], registers: [register] });
  const sample = (st: Status) => {
    for (const { direction, link } of linksOf(st)) {
      const k = `${direction}\u0000${String(link.node_name)}`;
      const since = link.connected_since;
      if (since === undefined) continue;
      const before = seen.get(k);
      if (before === undefined) reconnects.inc({ peer: String(link.node_name), direction }, 0);
      else if (before !== since) reconnects.inc({ peer: String(link.node_name), direction });
      seen.set(k, since);
    }
  };
  new Gauge({
    name: 'ferrydb_replication_link_up', help: 'Replication link open (1) or not (0), per peer and direction; state label as in cluster_status',
    labelNames: ['peer', 'direction', 'state'], registers: [register],
    collect() {
      this.reset();
      const st = status();
      sample(st);
      for (const { direction, link } of linksOf(st)) this.set({ peer: String(link.node_name), direction, state: String(link.state) }, link.state === 'open' ? 1 : 0);
    },
  });
  new Gauge({
    name: 'ferrydb_replication_subscription_state', help: 'Subscription state as in cluster_status (1 for the current state label)',
    labelNames: ['peer', 'direction', 'channel', 'state'], registers: [register],
    collect() {
      this.reset();
      for (const { direction, link } of linksOf(status())) {
        for (const sub of (link.subscriptions ?? []) as Row[]) this.set({ peer: String(link.node_name), direction, channel: String(sub.channel), state: String(sub.state) }, 1);
      }
    },
  });
  for (const [name, help, field, scale] of SUB_FIGURES) {
    new Gauge({
      name, help, labelNames: ['peer', 'direction', 'channel'], registers: [register],
      collect() {
        this.reset();
        for (const { direction, link } of linksOf(status())) {
          for (const sub of (link.subscriptions ?? []) as Row[]) {
            const v = sub[field];
            if (typeof v === 'number') this.set({ peer: String(link.node_name), direction, channel: String(sub.channel) }, v * scale);
          }
        }
      },
    });
  }
  return { sample: () => sample(read()) };
}
