/**
 * purge_stream (HarperDB 4.0-4.3): drop a table's pending change-log backlog. In HarperDB the
 * table's NATS stream is purged for every peer; FerryDB trims the table's change log the same
 * way (all peers), keeping the newest entry so every stream position stays defined. Peers that
 * had not received the purged entries do not silently miss them: their sender sees the trim and
 * runs the non-destructive resync (current rows, merged by last-writer-wins). Consumers that
 * hold the log (sinks) are respected. Each purge is recorded and shown in cluster_status.
 */
import { invalid } from '../errors/db-error.js';
import type { Services } from '../operations/context.js';
import type { KvStore } from '../storage/engine.js';
import type { Replication } from './replication.js';
import type { PurgeRecord } from './status-4x.js';

const CHUNK = 20_000;
const KEEP_RECORDS = 20;

export interface PurgeOptions {
  /** Keep this many newest entries (at least one is always kept). */
  keep?: number;
  /** Purge entries up to and including this log position. */
  seq?: number;
}

export class PurgeLog {
  readonly #store: KvStore<PurgeRecord[]>;
  readonly #services: Services;

  constructor(services: Services) {
    this.#services = services;
    this.#store = services.records.engine.openStore<PurgeRecord[]>('replication:purges');
  }

  list(): PurgeRecord[] {
    return this.#store.get('recent') ?? [];
  }

  async #remember(r: PurgeRecord): Promise<void> {
    await this.#services.records.engine.transaction(() => this.#store.put('recent', [...this.list(), r].slice(-KEEP_RECORDS)));
  }

  /** Trims one table's change log; returns what was removed (and records it). */
  async purge(rep: Replication, database: string, table: string, options: PurgeOptions): Promise<PurgeRecord> {
    const { records, changelog } = this.#services;
    if (!records.catalog.findTable(database, table)) throw invalid(`Table '${database}.${table}' does not exist`);
    const newest = [...changelog.readTable(database, table, { reverse: true, limit: Math.max(2, (options.keep ?? 0) + 1) })];
    // Through the entry just older than the kept ones (the newest is always kept).
    const keep = Math.max(1, options.keep ?? 1);
    let through = newest.length > keep ? newest[keep]!.seq : 0;
    if (options.seq !== undefined) through = Math.min(options.seq, newest.length > 1 ? newest[1]!.seq : 0);
    for (const [, held] of changelog.holders) {
      const pos = held(database, table);
      if (pos !== undefined) through = Math.min(through, pos);
    }
    // Every link that acknowledged a position of this table below the purge point.
    const behind = rep.cursors.allAcked().filter(([, db, t, seq]) => db === database && t === table && seq < through).map(([link]) => link);
    let removed = 0;
    if (through > 0) {
      for (;;) {
        const n = await records.engine.transaction(() => {
          const r = changelog.trimThrough(database, table, through, CHUNK);
          if (through > rep.cursors.trimmed(database, table)) rep.cursors.setTrimmedInTxn(database, table, through);
          return r;
        });
        removed += n;
        if (n < CHUNK) break;
      }
    }
    const record: PurgeRecord = { database, table, removed, through, at: new Date().toISOString(), peers_resynced: removed ? behind : [] };
    await this.#remember(record);
    this.#services.logger.warn({ database, table, removed, trimmedThrough: through, peers: record.peers_resynced }, 'purge_stream: change-log backlog dropped; peers behind it resync current rows');
    return record;
  }
}


/** purge_stream's options: {keep} or {seq}, non-negative integers. */
export function parsePurgeOptions(v: unknown): PurgeOptions {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw invalid(`'options' must be an object with 'keep' or 'seq'`);
  const o = v as Record<string, unknown>;
  const out: PurgeOptions = {};
  for (const k of ['keep', 'seq'] as const) {
    if (o[k] === undefined) continue;
    const n = o[k];
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) throw invalid(`'options.${k}' must be a non-negative integer`);
    out[k] = n;
  }
  return out;
}
