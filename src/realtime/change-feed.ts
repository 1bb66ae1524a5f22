/**
 * Live changes of tables for real-time subscribers (WebSocket, SSE, MQTT): listens to the change
 * log's commit notifications and reads the committed entries after the last position it
 * delivered, so local writes from every entry point and rows applied by replication arrive
 * alike, each once and in log order. Tables nobody listens to cost nothing.
 */
import type { ChangeLog } from '../changelog/changelog.js';
import type { ChangeEntry } from '../changelog/entry.js';

export type ChangeListener = (entry: ChangeEntry) => void;

interface TableFeed {
  database: string;
  table: string;
  position: number;
  listeners: Set<ChangeListener>;
}

/** Most entries read per commit notification before yielding (a later notification reads on). */
const READ_LIMIT = 50_000;

export class ChangeFeed {
  readonly #changelog: ChangeLog;
  readonly #feeds = new Map<string, TableFeed>();
  #stop: (() => void) | null = null;

  constructor(changelog: ChangeLog) {
    this.#changelog = changelog;
  }

  /** Number of listeners across all tables (metrics). */
  get listenerCount(): number {
    let n = 0;
    for (const f of this.#feeds.values()) n += f.listeners.size;
    return n;
  }

  /**
   * Calls `listener` for every change of database.table committed from now on. Returns the
   * unsubscribe function. The caller reads the current state itself before or after; a change
   * committed in between may be seen twice (harmless: deliveries carry the full record).
   */
  subscribe(database: string, table: string, listener: ChangeListener): () => void {
    const k = `${database}\u0000${table}`;
    let feed = this.#feeds.get(k);
    if (!feed) {
      feed = { database, table, position: this.#changelog.lastSeq(database, table), listeners: new Set() };
      this.#feeds.set(k, feed);
    }
    feed.listeners.add(listener);
    this.#stop ??= this.#changelog.onCommit((e) => this.#onCommit(e.database, e.table));
    const f = feed;
    return () => {
      f.listeners.delete(listener);
      if (f.listeners.size === 0 && this.#feeds.get(k) === f) this.#feeds.delete(k);
    };
  }

  #onCommit(database: string, table: string): void {
    const feed = this.#feeds.get(`${database}\u0000${table}`);
    if (!feed) return;
    for (const entry of this.#changelog.readAfter(database, table, feed.position, READ_LIMIT)) {
      feed.position = entry.seq;
      for (const l of feed.listeners) {
        try {
          l(entry);
        } catch {
          // A failing subscriber must not stop delivery to the others; it handles its own errors.
        }
      }
    }
  }

  close(): void {
    this.#stop?.();
    this.#stop = null;
    this.#feeds.clear();
  }
}
