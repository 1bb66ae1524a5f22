/** The `database:table` x publish/subscribe checkbox matrix used to connect and edit nodes. */

import { useState } from 'preact/hooks';
import type { MatrixRow } from '../lib/subscriptions.js';
import { addChannelRow, parseChannelInput, setColumn, toggleCell } from '../lib/subscriptions.js';

/** Type a `database:table` that is not listed (e.g. a table that exists only on the other node). */
function AddChannel({ rows, onChange, idPrefix, localChannels }: { rows: readonly MatrixRow[]; onChange: (rows: MatrixRow[]) => void; idPrefix: string; localChannels: readonly string[] }) {
  const [text, setText] = useState('');
  const [error, setError] = useState<string | null>(null);
  const add = () => {
    const parsed = parseChannelInput(text);
    if (!parsed.ok) { setError(parsed.error); return; }
    setError(null);
    setText('');
    onChange(addChannelRow(rows, parsed.channel, localChannels.includes(parsed.channel)));
  };
  const id = `${idPrefix}-add-channel`;
  return (
    <div class="form-row add-channel">
      <div class="field">
        <label for={id}>Add a table by name</label>
        <input id={id} value={text} placeholder="database:table" onInput={(e) => setText(e.currentTarget.value)}
          onKeyDown={(e) => { if (e.key === 'Enter') { e.preventDefault(); add(); } }} />
      </div>
      <button type="button" class="btn" onClick={add}>Add table</button>
      {error ? <p class="msg msg-error" role="alert">{error}</p> : null}
    </div>
  );
}

export function SubscriptionMatrix({ rows, onChange, peer, idPrefix, localChannels = [] }: { rows: readonly MatrixRow[]; onChange: (rows: MatrixRow[]) => void; peer: string; idPrefix: string; localChannels?: readonly string[] }) {
  const adder = <AddChannel rows={rows} onChange={onChange} idPrefix={idPrefix} localChannels={localChannels} />;
  if (rows.length === 0) {
    return (
      <div>
        <p class="hint">Neither node has announced a table yet. Type the table to replicate as database:table (it is created here when its first rows arrive).</p>
        {adder}
      </div>
    );
  }
  const all = (field: 'publish' | 'subscribe') => rows.every((r) => r[field]);
  return (
    <div>
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
                {r.local ? null : <span class="hint"> ({r.onPeer ? `on ${peer || 'the other node'} only` : 'not on this node'})</span>}
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
    {adder}
    </div>
  );
}
