/** The sinks of this node (sink_status): state, backlog, lag, what was written, the target's last error. */

import { useEffect, useState } from 'preact/hooks';
import { ApiError, type ApiClient } from '../lib/api.js';
import { formatBytes, formatCount, formatDuration } from '../lib/format.js';
import { normalizeSinkStatus, sinkHealth, type SinkHealth, type SinkRow } from '../lib/sinks.js';
import { ErrorMessage } from '../ui.js';

const REFRESH_MS = 3000;
const BADGE: Record<SinkHealth, string> = { ok: 'badge-ok', busy: 'badge-warn', bad: 'badge-bad', unknown: 'badge-muted' };

export function SinksPanel({ client }: { client: ApiClient }) {
  const [sinks, setSinks] = useState<SinkRow[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [unsupported, setUnsupported] = useState(false);

  useEffect(() => {
    let stopped = false;
    const load = async () => {
      try {
        const raw = await client.call({ operation: 'sink_status' });
        if (!stopped) { setSinks(normalizeSinkStatus(raw)); setError(null); }
      } catch (e) {
        if (stopped) return;
        if (e instanceof ApiError && e.isUnknownOperation) setUnsupported(true);
        else setError(e);
      }
    };
    void load();
    const timer = setInterval(() => void load(), REFRESH_MS);
    return () => { stopped = true; clearInterval(timer); };
  }, [client]);

  if (unsupported) return null;
  return (
    <section aria-labelledby="sinks-title" data-testid="sinks-panel">
      <h2 id="sinks-title">Sinks</h2>
      <ErrorMessage error={error} prefix="Could not read sink_status" />
      {sinks && sinks.length === 0 ? <p class="hint">No sinks. Add one with <code>add_sink</code> (see docs/scale-out.md).</p> : null}
      {sinks && sinks.length > 0 ? (
        <div class="grid-wrap">
          <table class="grid grid-compact">
            <caption class="sr-only">Sinks of this node</caption>
            <thead>
              <tr>
                <th scope="col">Sink</th>
                <th scope="col">State</th>
                <th scope="col">Target</th>
                <th scope="col">Tables</th>
                <th scope="col" class="num">Backlog rows</th>
                <th scope="col" class="num">Lag</th>
                <th scope="col" class="num">Rows written</th>
                <th scope="col" class="num">Bytes written</th>
                <th scope="col">Last error</th>
              </tr>
            </thead>
            <tbody>
              {sinks.map((s) => (
                <tr key={s.name} class={sinkHealth(s.state) === 'bad' ? 'row-bad' : undefined}>
                  <th scope="row">{s.name}</th>
                  <td><span class={`badge ${BADGE[sinkHealth(s.state)]}`}>{s.state}</span></td>
                  <td><code>{s.target ?? '–'}</code></td>
                  <td>{s.tables.map((t) => <div key={t.table}><code>{t.table}</code> → <code>{t.target}</code> <span class="cell-muted">{t.state}</span></div>)}</td>
                  <td class="num">{formatCount(s.backlogRows)}</td>
                  <td class="num">{formatDuration(s.lagMs)}</td>
                  <td class="num">{formatCount(s.rowsWritten)}</td>
                  <td class="num">{formatBytes(s.bytesWritten)}</td>
                  <td>{s.lastError ?? '–'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}
