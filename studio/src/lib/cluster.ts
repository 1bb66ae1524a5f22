/**
 * Reads `cluster_status` defensively (every field may be missing or of another type), groups
 * connections by peer, and judges link health including "connected but not progressing".
 */

import type { Subscription } from './subscriptions.js';

export interface ChannelStatus extends Subscription {
  readonly state: string | null;
  /** Per-direction states when the node reports them (FerryDB: send_state / receive_state). */
  readonly sendState: string | null;
  readonly receiveState: string | null;
  readonly error: string | null;
  /** A warning the node attached to the subscription (e.g. why a resync is needed). */
  readonly notice: string | null;
  readonly backlogRows: number | null;
  readonly lagMs: number | null;
  readonly lastSentSeq: number | null;
  readonly lastAckedSeq: number | null;
  readonly bytesSent: number | null;
  readonly bytesReceived: number | null;
  readonly rowsSent: number | null;
  readonly rowsReceived: number | null;
}

export type Direction = 'outbound' | 'inbound';

export interface ConnectionStatus {
  readonly direction: Direction;
  readonly nodeName: string;
  readonly host: string | null;
  readonly port: number | null;
  readonly state: string;
  readonly error: string | null;
  /** When the current session opened (ISO text), if connected. */
  readonly connectedSince: string | null;
  /** When a closed inbound peer was last seen (ISO text). */
  readonly lastSeen: string | null;
  /** Delay until the next reconnect attempt of a failed outbound link. */
  readonly nextAttemptMs: number | null;
  /** The peer's tables (`database:table`) as it announced them when the link opened. */
  readonly peerTables: readonly string[] | null;
  readonly subscriptions: readonly ChannelStatus[];
}

export interface ClusterStatus {
  readonly enabled: boolean;
  readonly nodeName: string | null;
  readonly connections: readonly ConnectionStatus[];
  /** Parts of the answer that could not be read, said out loud instead of dropped silently. */
  readonly warnings: readonly string[];
}

function str(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return null;
}

function num(v: unknown): number | null {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return null;
}

function errorText(v: unknown): string | null {
  if (v === undefined || v === null || v === '') return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'object' && typeof (v as { message?: unknown }).message === 'string') return (v as { message: string }).message;
  return JSON.stringify(v);
}

function readChannel(raw: unknown): ChannelStatus | null {
  if (raw === null || typeof raw !== 'object') return null;
  const r = raw as Record<string, unknown>;
  const channel = str(r['channel']) ?? (str(r['schema']) && str(r['table']) ? `${str(r['schema'])}:${str(r['table'])}` : null);
  if (channel === null) return null;
  return {
    channel,
    publish: r['publish'] === true,
    subscribe: r['subscribe'] === true,
    state: str(r['state']),
    sendState: str(r['send_state']),
    receiveState: str(r['receive_state']),
    error: errorText(r['error']),
    notice: errorText(r['notice']),
    backlogRows: num(r['backlog_rows']),
    lagMs: num(r['lag_ms']),
    lastSentSeq: num(r['last_sent_seq']),
    lastAckedSeq: num(r['last_acked_seq']),
    bytesSent: num(r['bytes_sent']),
    bytesReceived: num(r['bytes_received']),
    rowsSent: num(r['rows_sent']),
    rowsReceived: num(r['rows_received']),
  };
}

function readConnection(raw: unknown, direction: Direction, warnings: string[]): ConnectionStatus | null {
  if (raw === null || typeof raw !== 'object') {
    warnings.push(`an ${direction} connection entry is not an object`);
    return null;
  }
  const r = raw as Record<string, unknown>;
  const nodeName = str(r['node_name']) ?? str(r['name']);
  if (nodeName === null) {
    warnings.push(`an ${direction} connection has no node_name`);
    return null;
  }
  const subsRaw = Array.isArray(r['subscriptions']) ? r['subscriptions'] : [];
  const subscriptions = subsRaw.map(readChannel).filter((c): c is ChannelStatus => c !== null);
  if (subscriptions.length < subsRaw.length) warnings.push(`some subscriptions of '${nodeName}' could not be read`);
  return {
    direction,
    nodeName,
    host: str(r['host_address']) ?? str(r['host']),
    port: num(r['host_port']) ?? num(r['port']),
    state: str(r['state']) ?? str(r['status']) ?? 'unknown',
    error: errorText(r['error']),
    connectedSince: str(r['connected_since']),
    lastSeen: str(r['last_seen']),
    nextAttemptMs: num(r['next_attempt_in_ms']),
    peerTables: Array.isArray(r['peer_tables']) ? r['peer_tables'].filter((x): x is string => typeof x === 'string') : null,
    subscriptions,
  };
}

/** Normalises a `cluster_status` answer. */
export function normalizeClusterStatus(raw: unknown): ClusterStatus {
  const warnings: string[] = [];
  if (raw === null || typeof raw !== 'object') {
    return { enabled: false, nodeName: null, connections: [], warnings: ['cluster_status did not return an object'] };
  }
  const r = raw as Record<string, unknown>;
  const status = (r['status'] !== null && typeof r['status'] === 'object' ? r['status'] : {}) as Record<string, unknown>;
  const connections: ConnectionStatus[] = [];
  for (const direction of ['outbound', 'inbound'] as const) {
    const list = status[`${direction}_connections`];
    if (list === undefined) continue;
    if (!Array.isArray(list)) {
      warnings.push(`${direction}_connections is not a list`);
      continue;
    }
    for (const c of list) {
      const conn = readConnection(c, direction, warnings);
      if (conn) connections.push(conn);
    }
  }
  return {
    enabled: r['is_enabled'] === true || r['enabled'] === true,
    nodeName: str(r['node_name']),
    connections,
    warnings,
  };
}

export interface Peer {
  readonly name: string;
  readonly outbound: ConnectionStatus | null;
  readonly inbound: ConnectionStatus | null;
}

/** One entry per remote node, with its outbound (we dial) and inbound (it dials) links. */
export function groupPeers(status: ClusterStatus): Peer[] {
  const peers = new Map<string, { name: string; outbound: ConnectionStatus | null; inbound: ConnectionStatus | null }>();
  for (const c of status.connections) {
    const p = peers.get(c.nodeName) ?? { name: c.nodeName, outbound: null, inbound: null };
    p[c.direction] = c;
    peers.set(c.nodeName, p);
  }
  return [...peers.values()].sort((a, b) => a.name.localeCompare(b.name));
}

export type Health = 'ok' | 'connecting' | 'stalled' | 'unauthorized' | 'down' | 'unknown';

/** Judges a link from its state word and error; unknown words are shown as they are. */
export function connectionHealth(conn: Pick<ConnectionStatus, 'state' | 'error'>): Health {
  const s = conn.state.toLowerCase();
  if (s === 'open' || s === 'connected' || s === 'ok') return conn.error ? 'stalled' : 'ok';
  if (s === 'connecting' || s === 'reconnecting' || s === 'handshake') return 'connecting';
  if (s.includes('unauthori') || s.includes('forbidden') || s === 'auth_failed') return 'unauthorized';
  if (/stall|error|fail|mismatch|resync/.test(s)) return 'stalled';
  if (s === 'closed' || s === 'disconnected' || s === 'down') return 'down';
  return 'unknown';
}

/** Where the last acknowledged sequence of one subscription was last seen to move. */
export interface ProgressMark {
  readonly ackedSeq: number | null;
  readonly sinceMs: number;
}

export type ProgressMap = Readonly<Record<string, ProgressMark>>;

export function progressKey(conn: Pick<ConnectionStatus, 'direction' | 'nodeName'>, channel: string): string {
  return `${conn.direction}|${conn.nodeName}|${channel}`;
}

/** Updates the marks with a new status taken at `nowMs`: a changed acked seq restarts the clock. */
export function trackProgress(previous: ProgressMap, status: ClusterStatus, nowMs: number): ProgressMap {
  const next: Record<string, ProgressMark> = {};
  for (const conn of status.connections) {
    for (const ch of conn.subscriptions) {
      const key = progressKey(conn, ch.channel);
      const before = previous[key];
      const moved = !before || before.ackedSeq !== ch.lastAckedSeq || !ch.backlogRows;
      next[key] = moved ? { ackedSeq: ch.lastAckedSeq, sinceMs: nowMs } : before;
    }
  }
  return next;
}

/**
 * A subscription is stalled when rows are waiting and the acknowledged sequence has not moved
 * for `stallAfterMs` while the link claims to be open. Returns the reason, or null.
 */
export function stallReason(conn: ConnectionStatus, ch: ChannelStatus, progress: ProgressMap, nowMs: number, stallAfterMs: number): string | null {
  if (ch.error) return ch.error;
  if (ch.state && /stall|error|fail|unauthori|resync/i.test(ch.state)) return ch.notice ? `state '${ch.state}': ${ch.notice}` : `state '${ch.state}'`;
  if (connectionHealth(conn) !== 'ok' || !ch.backlogRows) return null;
  const mark = progress[progressKey(conn, ch.channel)];
  if (!mark) return null;
  const idle = nowMs - mark.sinceMs;
  return idle >= stallAfterMs ? `${ch.backlogRows} rows waiting and nothing acknowledged for ${Math.round(idle / 1000)} s` : null;
}
