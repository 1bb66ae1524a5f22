/**
 * Application close codes (4000-4999) used on replication WebSockets after the upgrade.
 * Rejections before the upgrade use HTTP statuses instead (401 credentials, 426 version).
 */

export const CLOSE_CODES = {
  /** Normal shutdown of the node; the dialler reconnects later with back-off. */
  SHUTDOWN: 4000,
  /** The peer sent a frame that could not be decoded or is not allowed here. */
  PROTOCOL_ERROR: 4001,
  /** No frame or byte arrived for two heartbeat intervals (the local side terminates instead). */
  HEARTBEAT_TIMEOUT: 4002,
  /** The subscription list changed (update_node / remove_node); reconnect with the new list. */
  SUBSCRIPTIONS_CHANGED: 4003,
  /** The node was removed from the manifest; the dialler stops. */
  NODE_REMOVED: 4004,
  /** A second link from the same node name replaced this one. */
  REPLACED: 4005,
  /** The first frame was not HELLO (or arrived too late). */
  HANDSHAKE_FAILED: 4006,
  /** Applying a batch failed on the receiver (storage error); retried after reconnect. */
  APPLY_FAILED: 4007,
  /** The sender could not build a batch; the peer resubscribes from its durable cursor. */
  SEND_FAILED: 4008,
  /** A subscribed table was dropped on the receiving side; the link restarts its streams. */
  TABLE_DROPPED: 4009,
  /** Both nodes dialled each other: the node whose name sorts first keeps its link (one link per pair). */
  DUPLICATE_LINK: 4010,
} as const;

export type CloseCode = (typeof CLOSE_CODES)[keyof typeof CLOSE_CODES];

const REASONS: Record<number, string> = Object.fromEntries(Object.entries(CLOSE_CODES).map(([k, v]) => [v, k.toLowerCase()]));

/** A short name for a close code (for status and logs). */
export function closeCodeName(code: number): string {
  return REASONS[code] ?? (code === 1000 ? 'normal' : code === 1006 ? 'abnormal' : `code ${code}`);
}
