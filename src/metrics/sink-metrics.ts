/**
 * Sink gauges built from the sink_status operation's output (never from sink internals), so
 * /metrics and sink_status always agree: one set of gauges per sink, labelled by its name.
 */
import { Gauge, type Registry } from 'prom-client';

type Row = Record<string, unknown>;

const FIGURES = [
  ['ferrydb_sink_backlog_rows', 'Change-log rows the sink has not delivered yet (sink_status backlog_rows)', 'backlog_rows', 1],
  ['ferrydb_sink_lag_seconds', 'Age of the oldest undelivered change (sink_status lag_ms / 1000)', 'lag_ms', 0.001],
  ['ferrydb_sink_rows_written', 'Rows the sink wrote to its target since the node started (sink_status rows_written)', 'rows_written', 1],
  ['ferrydb_sink_bytes_written', 'Bytes of row data the sink sent to its target since the node started (sink_status bytes_written)', 'bytes_written', 1],
  ['ferrydb_sink_retries', 'Failed target attempts the sink retried since the node started (sink_status retries)', 'retries', 1],
] as const;

/** Registers the sink gauges; `read` returns the sink_status answer (or null without sinks). */
export function sinkFigures(register: Registry, read: () => Row | null): void {
  let cached: { at: number; sinks: Row[] } | null = null;
  const sinks = (): Row[] => {
    if (!cached || Date.now() - cached.at > 200) {
      const st = read();
      cached = { at: Date.now(), sinks: Array.isArray(st?.sinks) ? (st!.sinks as Row[]) : [] };
    }
    return cached.sinks;
  };
  new Gauge({
    name: 'ferrydb_sink_state', help: 'The sink\'s current sink_status state (1), labelled sink and state (streaming, catching_up, stalled, unauthorized, ...)',
    labelNames: ['sink', 'state'], registers: [register],
    collect() {
      this.reset();
      for (const s of sinks()) this.set({ sink: String(s.name), state: String(s.state) }, 1);
    },
  });
  for (const [name, help, field, scale] of FIGURES) {
    new Gauge({
      name, help, labelNames: ['sink'], registers: [register],
      collect() {
        this.reset();
        for (const s of sinks()) if (typeof s[field] === 'number') this.set({ sink: String(s.name) }, (s[field] as number) * scale);
      },
    });
  }
}
