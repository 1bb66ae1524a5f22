/**
 * The figures behind cluster_status: per link and per subscription, both directions, from
 * live sessions when connected and from durable positions when not. Read-only.
 */
import type { ChangeLog } from '../changelog/changelog.js';
import { hlcToMillis } from '../changelog/hlc.js';
import type { Records } from '../records/records.js';
import type { CursorStore } from './cursor-store.js';
import { channelOf, type Subscription } from './peers.js';
import type { Session } from './session.js';

export interface StatusContext {
  records: Records;
  changelog: ChangeLog;
  cursors: CursorStore;
  /** Heartbeat interval: an open link silent this long has nothing pending on the sender. */
  heartbeatMs: number;
  recreateDropped?: boolean;
  /** Last error of a stream, kept after its link closed. */
  streamError?(link: string, db: string, table: string): { message: string; at: number } | undefined;
}

/** One subscription's figures (both directions) for cluster_status. */
export function subscriptionStatus(ctx: StatusContext, link: string, s: Subscription, session: Session | null): Record<string, unknown> {
  const k = `${s.database}\u0000${s.table}`;
  const sender = session?.senders.get(k);
  const receiver = session?.receivers.get(k);
  const { changelog } = ctx;
  const acked = sender?.ackedSeq ?? ctx.cursors.acked(link, s.database, s.table) ?? null;
  const trimmed = ctx.cursors.trimmed(s.database, s.table);
  let sendState: string | null = null;
  if (s.publish) {
    if (sender) sendState = sender.state;
    else if (acked !== null && acked < trimmed) sendState = 'resync_required';
    else sendState = session?.isOpen ? 'waiting' : 'disconnected';
  }
  let receiveState: string | null = null;
  const droppedAt = s.subscribe ? ctx.cursors.droppedAt(link, s.database, s.table) : undefined;
  if (s.subscribe) receiveState = receiver ? receiver.state : droppedAt !== undefined ? 'dropped_locally' : 'disconnected';
  const rank = ['error', 'dropped_locally', 'resync_required', 'stalled', 'disconnected', 'syncing', 'subscribing', 'waiting', 'streaming', 'closed'];
  const states = [sendState, receiveState].filter((x): x is string => x !== null);
  const state = states.sort((a, b) => rank.indexOf(a) - rank.indexOf(b))[0] ?? 'idle';
  let backlog = 0, lag = 0;
  if (s.publish && ctx.records.catalog.findTable(s.database, s.table)) {
    backlog = acked === null ? changelog.countAfter(s.database, s.table, 0) : changelog.countAfter(s.database, s.table, acked);
    if (sender) lag = sender.lagMs();
    else for (const e of changelog.readAfter(s.database, s.table, acked ?? 0, 1)) lag = Math.max(0, Date.now() - hlcToMillis(e.hlc));
  }
  // The receiving side knows the delay of the newest change it applied. A sender with pending
  // rows sends a batch at least every linger interval, so once an open, streaming link has been
  // quiet for a heartbeat interval nothing is pending and the lag is zero, not the stale figure.
  if (!s.publish && receiver) {
    const quiet = receiver.state === 'streaming' && session?.isOpen && Date.now() - receiver.lastAppliedAt > ctx.heartbeatMs;
    lag = quiet ? 0 : receiver.lastLagMs;
  }
  // Cumulative figures survive reconnects and restarts: from the live streams, else from disk.
  const sent = sender ?? ctx.cursors.counters(link, s.database, s.table, 'send');
  const recv = receiver ?? ctx.cursors.counters(link, s.database, s.table, 'recv');
  const err = sender?.error ? { message: sender.error, at: Date.now() } : ctx.streamError?.(link, s.database, s.table);
  const notice = receiver?.notice ?? (droppedAt !== undefined ? `${s.database}.${s.table} was dropped on this node at ${new Date(droppedAt).toISOString()}; the subscription resyncs all of the peer's rows when the link is up${ctx.recreateDropped === false ? ' and the table exists again' : ''}` : null);
  return {
    channel: channelOf(s), schema: s.database, database: s.database, table: s.table, publish: s.publish, subscribe: s.subscribe,
    ...(s.startTime !== undefined ? { start_time: new Date(s.startTime).toISOString() } : {}),
    state, send_state: sendState, receive_state: receiveState,
    last_sent_seq: sender?.lastSentSeq ?? acked ?? 0, last_acked_seq: acked ?? 0,
    applied_seq: receiver?.appliedSeq ?? ctx.cursors.cursor(link, s.database, s.table)?.seq ?? 0,
    backlog_rows: backlog, lag_ms: lag,
    ...(s.subscribe ? { last_applied_at: receiver?.lastAppliedAt ? new Date(receiver.lastAppliedAt).toISOString() : null } : {}),
    bytes_sent: num(sent.bytesSent), bytes_received: num(recv.bytesReceived),
    rows_sent: num(sent.rowsSent), rows_received: num(recv.rowsReceived),
    batches_sent: num(sent.batchesSent), batches_applied: num(recv.batchesApplied),
    duplicates_skipped: num(recv.duplicates), resyncs: num(sent.resyncs),
    since_connected: {
      rows_sent: sender?.session.rowsSent ?? 0, bytes_sent: sender?.session.bytesSent ?? 0, batches_sent: sender?.session.batchesSent ?? 0, resyncs: sender?.session.resyncs ?? 0,
      rows_received: receiver?.session.rowsReceived ?? 0, bytes_received: receiver?.session.bytesReceived ?? 0, batches_applied: receiver?.session.batchesApplied ?? 0,
    },
    ...(notice ? { notice } : {}),
    ...(droppedAt !== undefined ? { dropped_locally_at: new Date(droppedAt).toISOString() } : {}),
    ...(err ? { last_error: err.message, last_error_at: new Date(err.at).toISOString() } : {}),
  };
}

const num = (v: unknown): number => (typeof v === 'number' ? v : 0);

/** Link figures of an open session. */
export function connectionStatus(session: Session | null): Record<string, unknown> {
  if (!session) return {};
  const c = session.connection;
  return {
    connected_since: new Date(c.openedAt).toISOString(), bytes_sent: c.bytesSent, bytes_received: c.bytesReceived, last_received_ms_ago: Date.now() - c.lastReceivedAt,
    ...(session.peerTables ? { peer_tables: session.peerTables } : {}),
  };
}
