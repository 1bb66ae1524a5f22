/**
 * Durable replication positions, in stores of the node's own LMDB environment:
 *   replication:cursors [link, db, table] -> {seq, resume?}  receiver: last sender seq applied
 *   replication:applied [origin, db, table] -> originSeq     receiver: highest origin seq applied
 *   replication:acked   [link, db, table] -> seq             sender: highest seq the peer acked
 *   replication:trimmed [db, table] -> seq                   sender: log trimmed through here
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
}

export class CursorStore {
  readonly #engine: StorageEngine;
  readonly #cursors: KvStore<Cursor>;
  readonly #applied: KvStore<number>;
  readonly #acked: KvStore<number>;
  readonly #trimmed: KvStore<number>;

  constructor(engine: StorageEngine) {
    this.#engine = engine;
    this.#cursors = engine.openStore<Cursor>('replication:cursors');
    this.#applied = engine.openStore<number>('replication:applied');
    this.#acked = engine.openStore<number>('replication:acked');
    this.#trimmed = engine.openStore<number>('replication:trimmed');
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

  /** Forgets every position of a link (node removed) or of some of its tables. */
  async forgetLink(link: string, keep: (db: string, table: string) => boolean = () => false): Promise<void> {
    await this.#engine.transaction(() => {
      for (const store of [this.#cursors, this.#acked] as KvStore<unknown>[]) {
        for (const key of store.getKeys({ start: [link], end: [link, '\uffff'] })) {
          const [, db, table] = key as [string, string, string];
          if (!keep(db, table)) store.remove(key);
        }
      }
    });
  }
}
