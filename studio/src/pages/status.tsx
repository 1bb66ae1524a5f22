/** Status: system_information facts (whatever the node reports) and the most recent log lines. */

import { Fragment } from 'preact';
import { useState } from 'preact/hooks';
import type { ApiClient } from '../lib/api.js';
import { flattenLeaves, normalizeLogs, systemFacts } from '../lib/system.js';
import { ErrorMessage, Loading, useAsync } from '../ui.js';

const LEVELS = ['all', 'trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;

function SystemPanel({ client }: { client: ApiClient }) {
  const info = useAsync(() => client.call({ operation: 'system_information' }), [client]);
  const facts = info.data ? systemFacts(info.data) : [];
  const leaves = info.data ? flattenLeaves(info.data) : [];
  return (
    <section aria-labelledby="sys-title" class="panel">
      <div class="page-head">
        <h2 id="sys-title">System</h2>
        <span class="spacer" />
        <button type="button" class="btn btn-small" onClick={() => void info.reload()} disabled={info.loading}>Refresh</button>
      </div>
      <ErrorMessage error={info.error} prefix="system_information failed" />
      {info.loading && !info.data ? <Loading label="Reading system information…" /> : null}
      {info.data ? (
        <>
          {facts.length > 0 ? (
            <dl class="kv kv-wide">
              {facts.map((f) => <Fragment key={f.label}><dt>{f.label}</dt><dd title={f.path}>{f.value}</dd></Fragment>)}
            </dl>
          ) : <p class="hint">The node's answer has none of the usual fields (version, uptime, memory, disk); all fields are listed below.</p>}
          <details>
            <summary>All fields ({leaves.length})</summary>
            <table class="grid grid-compact">
              <caption class="sr-only">Every field of system_information</caption>
              <thead><tr><th scope="col">Field</th><th scope="col">Value</th></tr></thead>
              <tbody>{leaves.map((l) => <tr key={l.path}><td><code>{l.path}</code></td><td>{l.value}</td></tr>)}</tbody>
            </table>
          </details>
        </>
      ) : null}
    </section>
  );
}

function LogPanel({ client }: { client: ApiClient }) {
  const [level, setLevel] = useState<(typeof LEVELS)[number]>('all');
  const logs = useAsync(() => client.call({ operation: 'read_log', limit: 100, order: 'desc' }), [client]);
  const lines = logs.data ? normalizeLogs(logs.data) : [];
  const shown = level === 'all' ? lines : lines.filter((l) => l.level === level);
  return (
    <section aria-labelledby="log-title" class="panel">
      <div class="page-head">
        <h2 id="log-title">Recent log</h2>
        <span class="hint">newest first, last 100 lines</span>
        <span class="spacer" />
        <label class="check">
          Level{' '}
          <select value={level} onChange={(e) => setLevel(e.currentTarget.value as (typeof LEVELS)[number])}>
            {LEVELS.map((l) => <option key={l} value={l}>{l}</option>)}
          </select>
        </label>
        <button type="button" class="btn btn-small" onClick={() => void logs.reload()} disabled={logs.loading}>Refresh</button>
      </div>
      <ErrorMessage error={logs.error} prefix="read_log failed" />
      {logs.loading && !logs.data ? <Loading label="Reading the log…" /> : null}
      {logs.data ? (
        shown.length === 0 ? <p class="hint">No log lines{level === 'all' ? '' : ` at level ${level}`}.</p> : (
          <div class="grid-wrap">
            <table class="grid grid-compact log">
              <caption class="sr-only">Log lines</caption>
              <thead><tr><th scope="col">Time</th><th scope="col">Level</th><th scope="col">Message</th></tr></thead>
              <tbody>
                {shown.map((l, i) => (
                  <tr key={i} class={`lvl-${l.level}`}>
                    <td class="nowrap">{l.timestamp}</td>
                    <td><span class={`badge lvl lvl-${l.level}`}>{l.level || '?'}</span></td>
                    <td class="log-msg">{l.message}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )
      ) : null}
    </section>
  );
}

export function StatusPage({ client }: { client: ApiClient }) {
  return (
    <section class="page" aria-labelledby="status-title">
      <h1 id="status-title">Status</h1>
      <p class="lead">Node <code>{client.endpoint.url}</code></p>
      <SystemPanel client={client} />
      <LogPanel client={client} />
    </section>
  );
}
