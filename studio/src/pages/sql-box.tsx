/** The table page's SQL box: runs the `sql` operation and shows rows in a grid, a write's message or a plan. */

import { useState } from 'preact/hooks';
import type { ApiClient } from '../lib/api.js';
import { formatGridCell } from '../lib/grid.js';
import { classifyResult, defaultStatement, isWrite, type SqlResult } from '../lib/sql.js';
import { ErrorMessage, Success, useAction } from '../ui.js';

export function SqlBox({ client, database, table, hash, onWrite }: { client: ApiClient; database: string; table: string; hash: string; onWrite: () => Promise<void> }) {
  const [statement, setStatement] = useState(defaultStatement(database, table));
  const [result, setResult] = useState<SqlResult | null>(null);
  const [open, setOpen] = useState(false);
  const action = useAction();
  const run = (explain: boolean) => action.run(async () => {
    setResult(null);
    const body = await client.call<unknown>({ operation: 'sql', sql: statement, ...(explain ? { explain: true } : {}) });
    const r = classifyResult(body, hash);
    setResult(r);
    if (!explain && isWrite(statement)) await onWrite();
    return r.kind === 'message' ? r.message : null;
  });
  return (
    <details class="sql-box" open={open} onToggle={(e) => setOpen(e.currentTarget.open)}>
      <summary>SQL</summary>
      <form class="form" aria-label="SQL query" onSubmit={(e) => { e.preventDefault(); void run(false); }}>
        <label for="sql-text" class="sr-only">SQL statement</label>
        <textarea id="sql-text" rows={3} spellcheck={false} value={statement} onInput={(e) => setStatement(e.currentTarget.value)}
          onKeyDown={(e) => { if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); void run(false); } }} />
        <div class="toolbar">
          <button type="submit" class="btn btn-primary" disabled={action.busy}>Run SQL</button>
          <button type="button" class="btn" disabled={action.busy} onClick={() => void run(true)}>Explain</button>
          <span class="hint">Ctrl+Enter runs. SELECT, INSERT, UPDATE, DELETE; see docs/sql.md.</span>
        </div>
      </form>
      <ErrorMessage error={action.error} prefix="SQL failed" />
      {action.message ? <Success>{action.message}</Success> : null}
      {result?.kind === 'plan' ? <pre class="sql-plan" aria-label="Query plan">{JSON.stringify(result.plan, null, 2)}</pre> : null}
      {result?.kind === 'rows' ? (
        <div class="grid-wrap">
          <table class="grid sql-result" aria-label="SQL result">
            <caption class="sr-only">Result of the SQL statement</caption>
            <thead><tr>{result.columns.map((c) => <th scope="col" key={c}>{c}</th>)}</tr></thead>
            <tbody>
              {result.rows.map((r, i) => (
                <tr key={i}>{result.columns.map((c) => <td key={c} title={formatGridCell(c, r[c])}>{formatGridCell(c, r[c])}</td>)}</tr>
              ))}
            </tbody>
          </table>
          <p class="hint" role="status">{result.rows.length === 1 ? '1 row' : `${result.rows.length} rows`}</p>
        </div>
      ) : null}
    </details>
  );
}
