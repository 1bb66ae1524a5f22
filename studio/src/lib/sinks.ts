/**
 * Reads the answer of `sink_status` into the Studio's sink rows: pure, no DOM, so Node tests
 * run it. Unknown or missing fields become null, never a crash.
 */

export type SinkHealth = 'ok' | 'busy' | 'bad' | 'unknown';

export interface SinkTableRow {
  table: string;
  target: string;
  state: string;
  backlogRows: number | null;
  lagMs: number | null;
}

export interface SinkRow {
  name: string;
  state: string;
  target: string | null;
  backlogRows: number | null;
  lagMs: number | null;
  rowsWritten: number | null;
  bytesWritten: number | null;
  lastError: string | null;
  tables: SinkTableRow[];
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

export function normalizeSinkStatus(raw: unknown): SinkRow[] {
  const list = (raw as { sinks?: unknown } | null)?.sinks;
  if (!Array.isArray(list)) return [];
  return list.map((s: Record<string, unknown>) => ({
    name: str(s?.name) ?? '(unnamed)',
    state: str(s?.state) ?? 'unknown',
    target: str(s?.target),
    backlogRows: num(s?.backlog_rows),
    lagMs: num(s?.lag_ms),
    rowsWritten: num(s?.rows_written),
    bytesWritten: num(s?.bytes_written),
    lastError: str(s?.last_error),
    tables: Array.isArray(s?.tables)
      ? (s.tables as Record<string, unknown>[]).map((t) => ({
        table: `${str(t?.database) ?? '?'}.${str(t?.table) ?? '?'}`,
        target: str(t?.target) ?? '',
        state: str(t?.state) ?? 'unknown',
        backlogRows: num(t?.backlog_rows),
        lagMs: num(t?.lag_ms),
      }))
      : [],
  }));
}

/** How a sink state is shown: streaming is fine, catching up is busy, stalled/unauthorized are bad. */
export function sinkHealth(state: string): SinkHealth {
  if (state === 'streaming') return 'ok';
  if (state === 'catching_up' || state === 'connecting') return 'busy';
  if (state === 'stalled' || state === 'unauthorized' || state === 'stopped') return 'bad';
  return 'unknown';
}
