/**
 * Durable replication positions, in stores of the node's own LMDB environment:
 *   replication:cursors [link, db, table] -> {seq, resume?}  receiver: last sender seq applied
 *   replication:applied [origin, db, table] -> originSeq     receiver: highest origin seq applied
 *   replication:acked   [link, db, table] -> seq             sender: highest seq the peer acked
 *   replication:trimmed [db, table] -> seq                   sender: log trimmed through here
 *   replication:counters [link, db, table, 'send'|'recv'] -> {..} cumulative stream figures
 *   replication:dropped [link, db, table] -> epoch ms          receiver: table dropped locally
 *   replication:peerlogs peer -> logId                         the peer's change-log identity last seen
 * Receiver positions are written inside the apply transaction (Records.applyRemote `also`),
 * so data and positions can never disagree after a crash.
 */
import type { PrimaryKey } from '../changelog/entry.js';
import type { KvStore, StorageEngine } from '../storage/engine.js';

export interface Cursor {
  /** Sender log position applied through. */
  seq: number;
  /** Set while an initial sync is in progress: the last primary key received. */
  resume?: PrimaryKey | null;
  /** Id of the table incarnation the cursor was written for (detects a local drop). */
  table?: string;
}

/** Cumulative figures of one direction of one stream (durable across reconnects and restarts). */
export type Counters = Record<string, number>;

export class CursorStore {
  readonly #engine: StorageEngine;
  readonly #cursors: KvStore<Cursor>;
  readonly #applied: KvStore<number>;
  readonly #acked: KvStore<number>;
  readonly #trimmed: KvStore<number>;
  readonly #counters: KvStore<Counters>;
  readonly #dropped: KvStore<number>;
  readonly #peerLogs: KvStore<string>;

  constructor(engine: StorageEngine) {
    this.#engine = engine;
    this.#cursors = engine.openStore<Cursor>('replication:cursors');
    this.#applied = engine.openStore<number>('replication:applied');
    this.#acked = engine.openStore<number>('replication:acked');
    this.#trimmed = engine.openStore<number>('replication:trimmed');
    this.#counters = engine.openStore<Counters>('replication:counters');
    this.#dropped = engine.openStore<number>('replication:dropped');
    this.#peerLogs = engine.openStore<string>('replication:peerlogs');
  }

  cursor(link: string, db: string, table: string): Cursor | undefined {
    return this.#cursors.get([link, db, table]);
  }

  /** Inside a transaction. */
  putCursorInTxn(link: string, db: string, table: string, cursor: Cursor): void {
    this.#cursors.put([link, db, table], cursor);
  }

  applied(origin: string, db: string, table: string): number {
    return this.#applied.get([origin, db, table]) ?? 0;
  }

  /** Inside a transaction; keeps the maximum. */
  raiseAppliedInTxn(origin: string, db: string, table: string, originSeq: number): void {
    const key = [origin, db, table];
    if ((this.#applied.get(key) ?? 0) < originSeq) this.#applied.put(key, originSeq);
  }

  acked(link: string, db: string, table: string): number | undefined {
    return this.#acked.get([link, db, table]);
  }

  async setAcked(link: string, db: string, table: string, seq: number): Promise<void> {
    await this.#engine.transaction(() => this.#acked.put([link, db, table], seq));
  }

  /** Every acked position: [link, db, table, seq]. */
  allAcked(): [string, string, string, number][] {
    return [...this.#acked.getRange()].map(({ key, value }) => [...(key as [string, string, string]), value]);
  }

  trimmed(db: string, table: string): number {
    return this.#trimmed.get([db, table]) ?? 0;
  }

  /** Inside a transaction. */
  setTrimmedInTxn(db: string, table: string, seq: number): void {
    this.#trimmed.put([db, table], seq);
  }

  counters(link: string, db: string, table: string, dir: 'send' | 'recv'): Counters {
    return this.#counters.get([link, db, table, dir]) ?? {};
  }

  /** Inside a transaction. */
  putCountersInTxn(link: string, db: string, table: string, dir: 'send' | 'recv', c: Counters): void {
    this.#counters.put([link, db, table, dir], c);
  }

  async putCounters(link: string, db: string, table: string, dir: 'send' | 'recv', c: Counters): Promise<void> {
    await this.#engine.transaction(() => this.#counters.put([link, db, table, dir], c));
  }

  /** When the subscribed table was dropped locally (until its resync is done), or undefined. */
  droppedAt(link: string, db: string, table: string): number | undefined {
    return this.#dropped.get([link, db, table]);
  }

  /** Marks a local drop and forgets the stream cursor (the next SUB asks for a full sync). */
  async markDropped(link: string, db: string, table: string, at = Date.now()): Promise<void> {
    await this.#engine.transaction(() => {
      this.#dropped.put([link, db, table], at);
      this.#cursors.remove([link, db, table]);
    });
  }

  async clearDropped(link: string, db: string, table: string): Promise<void> {
    if (this.#dropped.get([link, db, table]) === undefined) return;
    await this.#engine.transaction(() => this.#dropped.remove([link, db, table]));
  }

  /**
   * Records the change-log identity a peer announced at the handshake. When it differs from the
   * one seen before, the peer's data directory started over: its log positions begin again at 0,
   * below every cursor and applied mark kept for it, so those are forgotten (both links' stream
   * positions and the peer's applied origin sequences; cumulative counters stay). The next SUBs
   * then ask for a full initial sync both ways. Synchronous: it runs before the link's first SUB.
   * Returns true when positions were forgotten.
   */
  notePeerLog(peer: string, logId: string | undefined): boolean {
    if (logId === undefined) return false; // an older peer: nothing to compare
    const known = this.#peerLogs.get(peer);
    if (known === logId) return false;
    const reset = known !== undefined;
    this.#engine.transactionSync(() => {
      if (reset) {
        for (const link of [`in:${peer}`, `out:${peer}`]) for (const store of [this.#cursors, this.#acked, this.#dropped]) this.#removeUnder(store, link);
        this.#removeUnder(this.#applied, peer);
      }
      this.#peerLogs.put(peer, logId);
    });
    return reset;
  }

  /** Forgets every position of a link (node removed) or of some of its tables. */
  async forgetLink(link: string, keep: (db: string, table: string) => boolean = () => false): Promise<void> {
    await this.#engine.transaction(() => {
      for (const store of [this.#cursors, this.#acked, this.#counters, this.#dropped]) this.#removeUnder(store, link, ([, db, table]) => !keep(db as string, table as string));
    });
  }

  /** Inside a transaction: removes the keys of a store whose first part is `first` (those `drop` accepts). */
  #removeUnder(store: KvStore<unknown>, first: string, drop: (key: unknown[]) => boolean = () => true): void {
    for (const key of store.getKeys({ start: [first], end: [first, '\uffff'] })) if (drop(key as unknown[])) store.remove(key);
  }
}
