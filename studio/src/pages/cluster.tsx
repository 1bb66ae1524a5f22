/** Cluster: this node's clustering state, live links to other nodes, connect/edit/remove nodes. */

import { useEffect, useRef, useState } from 'preact/hooks';
import type { ApiClient, DescribeAll } from '../lib/api.js';
import {
  connectionHealth,
  groupPeers,
  normalizeClusterStatus,
  stallReason,
  trackProgress,
  type ClusterStatus,
  type ConnectionStatus,
  type Health,
  type Peer,
  type ProgressMap,
} from '../lib/cluster.js';
import { formatBytes, formatCount, formatDuration, formatTimestamp } from '../lib/format.js';
import {
  buildAddNode,
  buildMatrix,
  buildUpdateInbound,
  buildUpdateNode,
  describeChanges,
  localChannels,
  toSubscriptions,
  validateNodeInput,
  type MatrixRow,
} from '../lib/subscriptions.js';
import { ConfirmButton, ErrorMessage, Loading, Success, messageOf, useAction, useAsync } from '../ui.js';
import { SubscriptionMatrix } from './subscription-matrix.js';
import { SinksPanel } from './sinks-panel.js';

const REFRESH_MS = 3000;
const STALL_AFTER_MS = 30_000;
/** Lag from which a subscription is marked "behind" (it may still be progressing). */
const BEHIND_MS = 60_000;

const HEALTH_CLASS: Record<Health, string> = {
  ok: 'badge-ok',
  connecting: 'badge-warn',
  stalled: 'badge-bad',
  unauthorized: 'badge-bad',
  down: 'badge-bad',
  unknown: 'badge-muted',
};

function LinkBadge({ conn }: { conn: ConnectionStatus }) {
  return <span class={`badge ${HEALTH_CLASS[connectionHealth(conn)]}`}>{conn.state}</span>;
}

/** Polls cluster_status; keeps the last good answer visible (marked stale) when a poll fails. */
function useClusterStatus(client: ApiClient, auto: boolean) {
  const [status, setStatus] = useState<ClusterStatus | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [updatedAt, setUpdatedAt] = useState<number | null>(null);
  const [progress, setProgress] = useState<ProgressMap>({});
  const [loading, setLoading] = useState(false);
  const progressRef = useRef<ProgressMap>({});
  const inFlight = useRef(false);

  const refresh = async () => {
    if (inFlight.current) return;
    inFlight.current = true;
    setLoading(true);
    try {
      const raw = await client.call({ operation: 'cluster_status' });
      const now = Date.now();
      const s = normalizeClusterStatus(raw);
      progressRef.current = trackProgress(progressRef.current, s, now);
      setProgress(progressRef.current);
      setStatus(s);
      setUpdatedAt(now);
      setError(null);
    } catch (e) {
      setError(e);
    } finally {
      inFlight.current = false;
      setLoading(false);
    }
  };

  useEffect(() => {
    void refresh();
  }, [client]);
  useEffect(() => {
    if (!auto) return;
    const timer = setInterval(() => void refresh(), REFRESH_MS);
    return () => clearInterval(timer);
  }, [client, auto]);
  return { status, error, updatedAt, progress, loading, refresh };
}

function SubscriptionTable({ conn, progress, now }: { conn: ConnectionStatus; progress: ProgressMap; now: number }) {
  if (conn.subscriptions.length === 0) return <p class="hint">No tables are replicated on this link.</p>;
  return (
    <div class="grid-wrap">
      <table class="grid grid-compact">
        <caption class="sr-only">Subscriptions on the {conn.direction} link with {conn.nodeName}</caption>
        <thead>
          <tr>
            <th scope="col">Table</th>
            <th scope="col">Direction</th>
            <th scope="col">State</th>
            <th scope="col" class="num">Backlog rows</th>
            <th scope="col" class="num">Lag</th>
            <th scope="col" class="num">Sent / acked seq</th>
            <th scope="col" class="num">Rows out / in</th>
            <th scope="col" class="num">Bytes out / in</th>
          </tr>
        </thead>
        <tbody>
          {conn.subscriptions.map((ch) => {
            const stalled = stallReason(conn, ch, progress, now, STALL_AFTER_MS);
            return (
              <tr key={ch.channel} class={stalled ? 'row-bad' : undefined}>
                <th scope="row"><code>{ch.channel}</code></th>
                <td>{[ch.publish ? 'publish' : null, ch.subscribe ? 'subscribe' : null].filter(Boolean).join(' + ') || 'none'}</td>
                <td>
                  {ch.state ?? '–'}
                  {ch.sendState && ch.receiveState && ch.sendState !== ch.receiveState
                    ? <div class="cell-note cell-muted">send {ch.sendState} · receive {ch.receiveState}</div>
                    : null}
                  {stalled ? <span class="badge badge-bad" title={stalled}>stalled</span> : null}
                  {!stalled && ch.lagMs !== null && ch.lagMs >= BEHIND_MS ? <span class="badge badge-warn">behind</span> : null}
                  {stalled ? <div class="cell-note">{stalled}</div> : null}
                  {ch.notice && !stalled ? <div class="cell-note cell-warn">{ch.notice}</div> : null}
                </td>
                <td class="num">{formatCount(ch.backlogRows)}</td>
                <td class="num">{formatDuration(ch.lagMs)}</td>
                <td class="num">{formatCount(ch.lastSentSeq)} / {formatCount(ch.lastAckedSeq)}</td>
                <td class="num">{formatCount(ch.rowsSent)} / {formatCount(ch.rowsReceived)}</td>
                <td class="num">{formatBytes(ch.bytesSent)} / {formatBytes(ch.bytesReceived)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

function LinkSection({ conn, progress, now }: { conn: ConnectionStatus; progress: ProgressMap; now: number }) {
  const where = conn.host ? `${conn.host}${conn.port !== null ? `:${conn.port}` : ''}` : 'address unknown';
  return (
    <div class="link-section">
      <h4>
        {conn.direction === 'outbound' ? 'Outbound link' : 'Inbound link'} <LinkBadge conn={conn} />{' '}
        <span class="hint">{conn.direction === 'outbound' ? `this node dials ${where}` : `${conn.nodeName} dialled in from ${where}`}</span>
      </h4>
      {conn.connectedSince || conn.lastSeen || conn.nextAttemptMs !== null ? (
        <p class="hint link-facts">
          {conn.connectedSince ? `connected since ${formatTimestamp(conn.connectedSince)}` : null}
          {conn.lastSeen ? `last seen ${formatTimestamp(conn.lastSeen)}` : null}
          {conn.nextAttemptMs !== null ? `${conn.connectedSince || conn.lastSeen ? ' · ' : ''}next attempt in ${formatDuration(conn.nextAttemptMs)}` : null}
        </p>
      ) : null}
      {conn.error ? <p class="msg msg-error" role="alert"><strong>{conn.state === 'unauthorized' ? 'Unauthorized' : 'Link error'}:</strong> {conn.error}</p> : null}
      {connectionHealth(conn) === 'unauthorized' && !conn.error ? (
        <p class="msg msg-error" role="alert">The other node refused the cluster credentials: CLUSTERING_USER / CLUSTERING_PASSWORD must be the same on both nodes.</p>
      ) : null}
      <SubscriptionTable conn={conn} progress={progress} now={now} />
    </div>
  );
}

function EditSubscriptions({ client, peer, channels, onDone }: { client: ApiClient; peer: Peer; channels: string[]; onDone: () => Promise<void> }) {
  const source = peer.outbound ?? peer.inbound!;
  const current = source.subscriptions.map((s) => ({ channel: s.channel, publish: s.publish, subscribe: s.subscribe }));
  const peerTables = peer.outbound?.peerTables ?? peer.inbound?.peerTables ?? [];
  const [rows, setRows] = useState<MatrixRow[]>(() => buildMatrix(channels, current, peerTables));
  // Dialled by the peer (no outbound link): the edit goes to the peer over its link.
  const inboundOnly = !peer.outbound;
  const [port, setPort] = useState(source.port !== null ? String(source.port) : '');
  const action = useAction();
  const changes = describeChanges(current, toSubscriptions(rows));
  const portId = `edit-port-${peer.name}`;
  const submit = (e: Event) => {
    e.preventDefault();
    void action.run(async () => {
      if (inboundOnly) {
        const res = await client.call(buildUpdateInbound(peer.name, rows));
        await onDone();
        return messageOf(res, `subscriptions of '${peer.name}' updated; ${peer.name} applies them over its link`);
      }
      const target = validateNodeInput({ name: peer.name, host: source.host ?? '', port });
      if (!target.ok) throw new Error(target.errors.join('; '));
      const res = await client.call(buildUpdateNode(target.value, rows));
      await onDone();
      return messageOf(res, `subscriptions of '${peer.name}' updated`);
    });
  };
  return (
    <form class="form matrix-form" onSubmit={submit} aria-busy={action.busy} aria-label={`Subscriptions with ${peer.name}`}>
      {inboundOnly ? <p class="hint">{peer.name} dialled this node: saving sends the new list to {peer.name} over that link, and {peer.name} stores it.</p> : null}
      {!inboundOnly && source.port === null ? (
        <div class="field">
          <label for={portId}>Clustering port of {peer.name}</label>
          <input id={portId} value={port} onInput={(e) => setPort(e.currentTarget.value)} inputMode="numeric" />
        </div>
      ) : null}
      <SubscriptionMatrix rows={rows} onChange={setRows} peer={peer.name} idPrefix={`edit-${peer.name}`} localChannels={channels} />
      {changes.length > 0 ? (
        <div class="changes" aria-live="polite"><strong>Changes to send:</strong><ul>{changes.map((c) => <li key={c}>{c}</li>)}</ul></div>
      ) : <p class="hint">No changes.</p>}
      <ErrorMessage error={action.error} prefix="update_node failed" />
      {action.message ? <Success>{action.message}</Success> : null}
      <div class="actions">
        <button type="submit" class="btn btn-primary" disabled={action.busy || changes.length === 0}>Save subscriptions</button>
      </div>
    </form>
  );
}

function PeerCard({ client, peer, channels, progress, now, onChanged }: { client: ApiClient; peer: Peer; channels: string[]; progress: ProgressMap; now: number; onChanged: () => Promise<void> }) {
  const [editing, setEditing] = useState(false);
  const remove = useAction();
  const id = `peer-${peer.name.replace(/[^\w-]/g, '_')}`;
  return (
    <li class="card" aria-labelledby={id}>
      <div class="card-head">
        <h3 id={id}>{peer.name}</h3>
        <span class="spacer" />
        <button type="button" class="btn" aria-expanded={editing} onClick={() => setEditing(!editing)}>{editing ? 'Close subscriptions' : 'Edit subscriptions'}</button>
        <ConfirmButton
          label="Remove node"
          question={`Stop replicating with ${peer.name}?`}
          confirmLabel="Remove"
          disabled={remove.busy}
          onConfirm={() => remove.run(async () => {
            const res = await client.call({ operation: 'remove_node', name: peer.name });
            await onChanged();
            return messageOf(res, `'${peer.name}' removed`);
          })}
        />
      </div>
      <ErrorMessage error={remove.error} prefix="remove_node failed" />
      {remove.message ? <Success>{remove.message}</Success> : null}
      {peer.outbound ? <LinkSection conn={peer.outbound} progress={progress} now={now} /> : null}
      {peer.inbound ? <LinkSection conn={peer.inbound} progress={progress} now={now} /> : null}
      {editing ? <EditSubscriptions client={client} peer={peer} channels={channels} onDone={onChanged} /> : null}
    </li>
  );
}

function ConnectNodeForm({ client, channels, onConnected }: { client: ApiClient; channels: string[]; onConnected: () => Promise<void> }) {
  const [name, setName] = useState('');
  const [host, setHost] = useState('');
  const [port, setPort] = useState('12345');
  const [rows, setRows] = useState<MatrixRow[]>(() => buildMatrix(channels, []));
  const [problems, setProblems] = useState<string[]>([]);
  const action = useAction();
  useEffect(() => {
    // New tables appear in the matrix without losing ticks already made.
    setRows((prev) => buildMatrix(channels, toSubscriptions(prev)));
  }, [channels.join('|')]);
  const submit = (e: Event) => {
    e.preventDefault();
    const checked = validateNodeInput({ name, host, port });
    if (!checked.ok) {
      setProblems(checked.errors);
      return;
    }
    setProblems([]);
    void action.run(async () => {
      const res = await client.call(buildAddNode(checked.value, rows));
      setName('');
      setHost('');
      setRows(buildMatrix(channels, []));
      await onConnected();
      return messageOf(res, `'${checked.value.name}' added`);
    });
  };
  return (
    <form class="form" onSubmit={submit} aria-busy={action.busy} aria-labelledby="connect-title" noValidate>
      <h2 id="connect-title">Connect a node</h2>
      <p class="hint">This node dials the other node's clustering port. <strong>Publish</strong>: this node sends its changes of the table. <strong>Subscribe</strong>: this node receives the other node's changes.</p>
      <div class="form-row">
        <div class="field">
          <label for="node-name">Node name</label>
          <input id="node-name" value={name} onInput={(e) => setName(e.currentTarget.value)} placeholder="its clustering node name" />
        </div>
        <div class="field">
          <label for="node-host">Host</label>
          <input id="node-host" value={host} onInput={(e) => setHost(e.currentTarget.value)} placeholder="e.g. 10.0.0.7" />
        </div>
        <div class="field field-small">
          <label for="node-port">Clustering port</label>
          <input id="node-port" value={port} onInput={(e) => setPort(e.currentTarget.value)} inputMode="numeric" />
        </div>
      </div>
      <SubscriptionMatrix rows={rows} onChange={setRows} peer={name.trim()} idPrefix="connect" localChannels={channels} />
      {problems.length > 0 ? <ul class="msg msg-error" role="alert">{problems.map((p) => <li key={p}>{p}</li>)}</ul> : null}
      <ErrorMessage error={action.error} prefix="add_node failed" />
      {action.message ? <Success>{action.message}</Success> : null}
      <div class="actions">
        <button type="submit" class="btn btn-primary" disabled={action.busy}>{action.busy ? 'Connecting…' : 'Connect node'}</button>
      </div>
    </form>
  );
}

export function ClusterPage({ client }: { client: ApiClient }) {
  const [auto, setAuto] = useState(true);
  const cluster = useClusterStatus(client, auto);
  const describe = useAsync(() => client.call<DescribeAll>({ operation: 'describe_all' }), [client]);
  const channels = localChannels(describe.data);
  const s = cluster.status;
  const peers = s ? groupPeers(s) : [];
  const now = cluster.updatedAt ?? Date.now();
  const refreshBoth = async () => {
    await Promise.all([cluster.refresh(), describe.reload()]);
  };

  return (
    <section class="page" aria-labelledby="cluster-title">
      <div class="page-head">
        <h1 id="cluster-title">Cluster</h1>
        <span class="spacer" />
        <label class="check">
          <input type="checkbox" checked={auto} onChange={(e) => setAuto(e.currentTarget.checked)} /> Auto-refresh ({REFRESH_MS / 1000} s)
        </label>
        <button type="button" class="btn" onClick={() => void refreshBoth()} disabled={cluster.loading}>Refresh</button>
      </div>
      {cluster.error ? <ErrorMessage error={cluster.error} prefix={s ? 'Refresh failed; showing the last answer' : 'Could not read cluster_status'} /> : null}
      {!s && !cluster.error ? <Loading label="Reading cluster status…" /> : null}
      {s ? (
        <>
          <dl class="kv kv-wide" aria-label="This node">
            <dt>This node</dt><dd><strong data-testid="node-name">{s.nodeName ?? '(no name reported)'}</strong></dd>
            <dt>Clustering</dt><dd>{s.enabled ? <span class="badge badge-ok">enabled</span> : <span class="badge badge-muted">disabled</span>}</dd>
            <dt>Updated</dt><dd>{cluster.updatedAt ? formatTimestamp(cluster.updatedAt) : '–'}{cluster.error ? ' (stale)' : ''}</dd>
          </dl>
          {s.warnings.length > 0 ? <ul class="msg msg-warn" role="note">{s.warnings.map((w) => <li key={w}>cluster_status: {w}</li>)}</ul> : null}
          {!s.enabled ? (
            <p class="msg msg-warn" role="note">
              Clustering is disabled on this node. Start it with clustering enabled (<code>CLUSTERING=true</code>, a <code>NODE_NAME</code>, and the same
              <code> CLUSTERING_USER</code>/<code>CLUSTERING_PASSWORD</code> on every node) to connect other nodes.
            </p>
          ) : (
            <>
              <h2>Nodes</h2>
              {peers.length === 0 ? <p>No other nodes are connected.</p> : (
                <ul class="cards cards-wide">
                  {peers.map((p) => <PeerCard key={p.name} client={client} peer={p} channels={channels} progress={cluster.progress} now={now} onChanged={refreshBoth} />)}
                </ul>
              )}
              <ErrorMessage error={describe.error} prefix="Could not list tables" />
              <ConnectNodeForm client={client} channels={channels} onConnected={refreshBoth} />
            </>
          )}
        </>
      ) : null}
      <SinksPanel client={client} />
    </section>
  );
}
