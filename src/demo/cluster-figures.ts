/**
 * Reads replication figures out of cluster_status answers: the backlog in rows and the lag in
 * ms, wherever a node reports them (per subscription of each connection). Missing figures
 * stay null and the demo falls back to its own measurements. Bytes are not taken from here:
 * the fault proxy counts what really crossed the wire.
 */

export interface ClusterFigures {
  backlogRows: number | null;
  lagMs: number | null;
}

function collect(value: unknown, key: string, out: number[]): void {
  if (Array.isArray(value)) { for (const v of value) collect(v, key, out); return; }
  if (value === null || typeof value !== 'object') return;
  for (const [k, v] of Object.entries(value)) {
    if (k === key && typeof v === 'number' && Number.isFinite(v)) out.push(v);
    else collect(v, key, out);
  }
}

/** Backlog: the largest total any one node reports; lag: the largest single figure. */
export function readClusterFigures(statuses: readonly unknown[]): ClusterFigures {
  const perNode = (key: string) => {
    // FerryDB answers both shapes (the 3.x `status` lists and the 4.x `connections` with the same
    // figures): read one of them only, or every figure would count twice.
    const one = (s: unknown) => (s && typeof s === 'object' && 'status' in s && (s as { status: unknown }).status ? (s as { status: unknown }).status : s);
    const found = statuses.map((s) => { const out: number[] = []; collect(one(s), key, out); return out; }).filter((a) => a.length > 0);
    return found.length ? found : null;
  };
  const backlog = perNode('backlog_rows');
  const lag = perNode('lag_ms');
  return {
    backlogRows: backlog ? Math.max(...backlog.map((a) => a.reduce((x, y) => x + y, 0))) : null,
    lagMs: lag ? Math.max(...lag.flat()) : null,
  };
}
