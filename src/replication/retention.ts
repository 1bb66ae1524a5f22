/**
 * Change-log retention for replication. A table's entries are trimmed through the lowest
 * position every subscribed peer acknowledged; independently of acks, entries older than
 * retention.maxAgeMs or beyond retention.maxEntries (per table) are trimmed too, and the
 * trimmed-through position is recorded so a peer whose cursor is below it is resynced
 * (non-destructively) instead of silently missing changes. Runs in small transactions.
 */
import type { ChangeLog } from '../changelog/changelog.js';
import { hlcToMillis } from '../changelog/hlc.js';
import type { Logger } from '../log/logger.js';
import type { Records } from '../records/records.js';
import type { CursorStore } from './cursor-store.js';

export interface RetentionOptions {
  maxAgeMs: number;
  maxEntries: number;
}

const CHUNK = 20_000;

export interface TrimReport {
  database: string;
  table: string;
  through: number;
  removed: number;
  /** Links whose acknowledged position is now below the trimmed position. */
  behind: string[];
}

/**
 * One retention pass. `acked(db, table)` lists [link, position] of every peer subscribed to
 * the table's changes (links with no position yet do not hold the log back: they start with
 * an initial sync).
 */
export async function runRetention(deps: { records: Records; changelog: ChangeLog; cursors: CursorStore; logger: Logger }, opts: RetentionOptions, acked: (db: string, table: string) => [string, number][], now = Date.now()): Promise<TrimReport[]> {
  const { records, changelog, cursors, logger } = deps;
  const reports: TrimReport[] = [];
  for (const { name: database } of records.catalog.databases()) {
    for (const def of records.catalog.tables(database)) {
      const table = def.name;
      const first = changelog.firstSeq(database, table);
      if (!first) continue;
      const peers = acked(database, table);
      for (const [name, held] of changelog.holders) {
        const pos = held(database, table);
        if (pos !== undefined) peers.push([`holder:${name}`, pos]);
      }
      let through = peers.length ? Math.min(...peers.map(([, s]) => s)) : 0;
      // Age: entries are in log order and their clocks increase with it.
      const cutoff = now - opts.maxAgeMs;
      let oldest = 0;
      for (const e of changelog.readAfter(database, table, first - 1)) {
        if (hlcToMillis(e.hlc) >= cutoff) break;
        oldest = e.seq;
      }
      through = Math.max(through, oldest);
      // Positions are global with gaps, so the span bounds the count: count only when needed.
      const span = changelog.lastSeq(database, table) - first + 1;
      const count = span > opts.maxEntries ? changelog.countAfter(database, table, 0) : 0;
      if (count > opts.maxEntries) {
        let n = count - opts.maxEntries;
        for (const e of changelog.readAfter(database, table, 0, n)) { if (--n === 0) { through = Math.max(through, e.seq); break; } }
      }
      if (through < first) continue;
      let removed = 0;
      for (;;) {
        const n = await records.engine.transaction(() => {
          const r = changelog.trimThrough(database, table, through, CHUNK);
          if (through > cursors.trimmed(database, table)) cursors.setTrimmedInTxn(database, table, through);
          return r;
        });
        removed += n;
        if (n < CHUNK) break;
      }
      const behind = peers.filter(([, s]) => s < through).map(([l]) => l);
      if (behind.length) logger.warn({ database, table, trimmedThrough: through, peers: behind }, 'change log trimmed past what some peers acknowledged (retention limit); they will be resynced on reconnect');
      if (removed) reports.push({ database, table, through, removed, behind });
    }
  }
  return reports;
}
