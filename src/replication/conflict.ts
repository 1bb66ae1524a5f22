/**
 * Pure replication rules about which incoming entries to apply. The version rule itself
 * (last writer wins on (hlc, origin)) lives in changelog/hlc.ts and is applied by
 * Records.applyRemote; this module decides what reaches it: entries that originated here
 * never come back, and an entry whose origin sequence is at or below the highest one already
 * applied for (origin, database, table) is a duplicate.
 *
 * That mark is raised only by entries that arrive straight from their origin (the link's peer
 * wrote them). Along that one link an origin's entries of a table arrive complete and in its
 * log order, so every entry of that origin at or below the mark has been through the
 * last-writer-wins check here, whatever path a copy of it takes later. Entries relayed by a
 * third node are checked against the mark but never raise it: a relay's order (or, before the
 * fix of issue 8, a sequence it made up for a resynced row) says nothing about the origin's log,
 * and trusting it made the hub skip the origin's later rows.
 */
import type { ChangeEntry } from '../changelog/entry.js';
import { isNewer } from '../changelog/hlc.js';

export interface Version {
  hlc: number;
  origin: string;
}

/** True when an incoming version replaces the current one (or there is none). */
export function incomingWins(incoming: Version, current: Version | undefined): boolean {
  return !current || isNewer(incoming.hlc, incoming.origin, current.hlc, current.origin);
}

export interface FreshEntries {
  fresh: ChangeEntry[];
  /** Highest origin sequence seen per origin in this batch (to store with the apply). */
  highest: Map<string, number>;
  duplicates: number;
}

/**
 * Splits a batch from `peer` into entries to apply and duplicates. `appliedOf(origin)` returns
 * the highest origin sequence already applied for this table. Snapshot rows (originSeq 0) carry
 * no sequence and always go to the LWW check; only the peer's own entries raise the mark.
 */
export function selectFresh(entries: readonly ChangeEntry[], self: string, peer: string, appliedOf: (origin: string) => number): FreshEntries {
  const fresh: ChangeEntry[] = [];
  const highest = new Map<string, number>();
  let duplicates = 0;
  for (const e of entries) {
    // Our own entries never come back, except snapshot rows (no sequence): after a local drop
    // they are how this node gets its own rows back; the LWW check drops the ones it still has.
    if (e.origin === self && e.originSeq > 0) { duplicates++; continue; }
    if (e.originSeq > 0) {
      const seen = highest.get(e.origin) ?? appliedOf(e.origin);
      if (e.originSeq <= seen) { duplicates++; continue; }
      if (e.origin === peer) highest.set(e.origin, e.originSeq);
    }
    fresh.push(e);
  }
  return { fresh, highest, duplicates };
}
