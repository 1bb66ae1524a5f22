/** The `database:table` x publish/subscribe checkbox matrix used to connect and edit nodes. */

import type { MatrixRow } from '../lib/subscriptions.js';
import { setColumn, toggleCell } from '../lib/subscriptions.js';

export function SubscriptionMatrix({ rows, onChange, peer, idPrefix }: { rows: readonly MatrixRow[]; onChange: (rows: MatrixRow[]) => void; peer: string; idPrefix: string }) {
  if (rows.length === 0) {
    return <p class="hint">This node has no tables yet, so there is nothing to publish or subscribe to. Create tables under Browse first (the node can still be connected).</p>;
  }
  const all = (field: 'publish' | 'subscribe') => rows.every((r) => r[field]);
  return (
    <table class="grid grid-compact matrix">
      <caption class="sr-only">Tables replicated with {peer || 'the new node'}</caption>
      <thead>
        <tr>
          <th scope="col">Table</th>
          {(['publish', 'subscribe'] as const).map((field) => (
            <th scope="col" key={field}>
              <span>{field === 'publish' ? 'Publish' : 'Subscribe'}</span>
              <button type="button" class="btn btn-small btn-link" onClick={() => onChange(setColumn(rows, field, !all(field)))}>
                {all(field) ? 'none' : 'all'}<span class="sr-only"> {field}</span>
              </button>
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => {
          const base = `${idPrefix}-${r.channel.replace(/[^\w-]/g, '_')}`;
          return (
            <tr key={r.channel}>
              <th scope="row">
                <code>{r.channel}</code>
                {r.local ? null : <span class="hint"> (not on this node)</span>}
              </th>
              <td>
                <input type="checkbox" id={`${base}-pub`} checked={r.publish} onChange={() => onChange(toggleCell(rows, r.channel, 'publish'))} />
                <label for={`${base}-pub`} class="sr-only">Publish {r.channel} to {peer || 'the new node'}</label>
              </td>
              <td>
                <input type="checkbox" id={`${base}-sub`} checked={r.subscribe} onChange={() => onChange(toggleCell(rows, r.channel, 'subscribe'))} />
                <label for={`${base}-sub`} class="sr-only">Subscribe to {r.channel} from {peer || 'the new node'}</label>
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
