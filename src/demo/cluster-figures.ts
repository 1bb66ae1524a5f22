/**
 * Reads replication figures out of cluster_status answers: the backlog in rows, the lag in ms
 * and the bytes sent, wherever the node reports them (per connection or per subscription).
 * Missing figures stay null and the demo falls back to its own measurements.
 */

export interface ClusterFigures {
  backlogRows: number | null;
  lagMs: number | null;
  bytes: number | null;
}

function collect(value: unknown, key: string, out: number[]): void {
  if (Array.isArray(value)) { for (const v of value) collect(v, key, out); return; }
  if (value === null || typeof value !== 'object') return;
  for (const [k, v] of Object.entries(value)) {
    if (k === key && typeof v === 'number' && Number.isFinite(v)) out.push(v);
    else collect(v, key, out);
  }
}

/** Backlog: the largest reported by any node; lag: the largest; bytes: the largest total. */
export function readClusterFigures(statuses: readonly unknown[]): ClusterFigures {
  const pick = (key: string) => {
    const perNode = statuses.map((s) => { const out: number[] = []; collect(s, key, out); return out; }).filter((a) => a.length > 0);
    return perNode.length ? perNode : null;
  };
  const backlog = pick('backlog_rows');
  const lag = pick('lag_ms');
  const bytes = pick('bytes_sent') ?? pick('bytes');
  const sum = (a: number[]) => a.reduce((x, y) => x + y, 0);
  return {
    backlogRows: backlog ? Math.max(...backlog.map(sum)) : null,
    lagMs: lag ? Math.max(...lag.flat()) : null,
    bytes: bytes ? Math.max(...bytes.map(sum)) : null,
  };
}
