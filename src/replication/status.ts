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
  if (s.subscribe) receiveState = receiver ? receiver.state : 'disconnected';
  const rank = ['resync_required', 'stalled', 'disconnected', 'syncing', 'subscribing', 'waiting', 'streaming', 'closed'];
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
  return {
    channel: channelOf(s), schema: s.database, database: s.database, table: s.table, publish: s.publish, subscribe: s.subscribe,
    ...(s.startTime !== undefined ? { start_time: new Date(s.startTime).toISOString() } : {}),
    state, send_state: sendState, receive_state: receiveState,
    last_sent_seq: sender?.lastSentSeq ?? acked ?? 0, last_acked_seq: acked ?? 0,
    applied_seq: receiver?.appliedSeq ?? ctx.cursors.cursor(link, s.database, s.table)?.seq ?? 0,
    backlog_rows: backlog, lag_ms: lag,
    ...(s.subscribe ? { last_applied_at: receiver?.lastAppliedAt ? new Date(receiver.lastAppliedAt).toISOString() : null } : {}),
    bytes_sent: sender?.bytesSent ?? 0, bytes_received: receiver?.bytesReceived ?? 0,
    rows_sent: sender?.rowsSent ?? 0, rows_received: receiver?.rowsReceived ?? 0,
    duplicates_skipped: receiver?.duplicates ?? 0, resyncs: sender?.resyncs ?? 0,
    ...(receiver?.notice ? { notice: receiver.notice } : {}),
  };
}

/** Link figures of an open session. */
export function connectionStatus(session: Session | null): Record<string, unknown> {
  if (!session) return {};
  const c = session.connection;
  return { connected_since: new Date(c.openedAt).toISOString(), bytes_sent: c.bytesSent, bytes_received: c.bytesReceived, last_received_ms_ago: Date.now() - c.lastReceivedAt };
}
