/**
 * Pure rules of the one-link-per-pair model: a pair of nodes shares one link, whichever side
 * dialled. An add_node on the dialled side merges its subscriptions into the link (a channel's
 * publish/subscribe flags are OR-ed), an update_node there replaces the list; the dialler owns
 * the stored list and learns of edits over the link (MANIFEST). When both nodes dial each
 * other, the node whose name sorts first keeps dialling and the other merges its list in.
 */
import type { WireSubscription } from './protocol/messages.js';
import type { Subscription } from './peers.js';

/** A wire subscription in the sender's own view (no mirroring). */
export function fromWire(s: WireSubscription): Subscription {
  return { database: s.db, table: s.table, publish: s.pub, subscribe: s.sub, ...(s.since !== undefined ? { startTime: s.since } : {}) };
}

/** The other side's view of a subscription: directions swapped. */
export function mirror(s: Subscription): Subscription {
  return { ...s, publish: s.subscribe, subscribe: s.publish };
}

/** Adds subscriptions to a list: a channel already present gets the union of both flags. */
export function mergeSubscriptions(existing: readonly Subscription[], added: readonly Subscription[]): Subscription[] {
  const out = existing.map((s) => ({ ...s }));
  for (const a of added) {
    const cur = out.find((s) => s.database === a.database && s.table === a.table);
    if (!cur) { out.push({ ...a }); continue; }
    cur.publish ||= a.publish;
    cur.subscribe ||= a.subscribe;
    if (cur.startTime === undefined && a.startTime !== undefined) cur.startTime = a.startTime;
  }
  return out;
}

/** Same channels with the same flags (order ignored). */
export function sameSubscriptions(a: readonly Subscription[], b: readonly Subscription[]): boolean {
  const k = (l: readonly Subscription[]) => l.map((s) => `${s.database}\u0000${s.table}\u0000${s.publish}\u0000${s.subscribe}\u0000${s.startTime ?? ''}`).sort().join('\u0001');
  return k(a) === k(b);
}

/** When both nodes dialled each other, the one whose name sorts first keeps its link. */
export function keepsDialling(self: string, peer: string): boolean {
  return self < peer;
}
