/**
 * Pure replication rules about which incoming entries to apply. The version rule itself
 * (last writer wins on (hlc, origin)) lives in changelog/hlc.ts and is applied by
 * Records.applyRemote; this module decides what reaches it: entries that originated here
 * never come back, and an entry whose origin sequence is at or below the highest one already
 * applied for (origin, database, table) is a duplicate.
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
 * Splits a batch into entries to apply and duplicates. `appliedOf(origin)` returns the
 * highest origin sequence already applied for this table. Snapshot rows (originSeq 0) carry
 * no sequence and always go to the LWW check.
 */
export function selectFresh(entries: readonly ChangeEntry[], self: string, appliedOf: (origin: string) => number): FreshEntries {
  const fresh: ChangeEntry[] = [];
  const highest = new Map<string, number>();
  let duplicates = 0;
  for (const e of entries) {
    if (e.origin === self) { duplicates++; continue; }
    if (e.originSeq > 0) {
      const seen = highest.get(e.origin) ?? appliedOf(e.origin);
      if (e.originSeq <= seen) { duplicates++; continue; }
      highest.set(e.origin, e.originSeq);
    }
    fresh.push(e);
  }
  return { fresh, highest, duplicates };
}
