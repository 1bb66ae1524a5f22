/**
 * The storage contract the rest of FerryDB codes against. Only lmdb-engine.ts implements it
 * (and only that file imports lmdb). Keys are ordered: numbers before strings, arrays
 * element-wise, which the change log and indexes rely on.
 */

export type KeyPart = string | number | boolean | null;
export type Key = KeyPart | KeyPart[];

export interface RangeOptions {
  start?: Key;
  end?: Key;
  reverse?: boolean;
  limit?: number;
  offset?: number;
  /** Take a snapshot for the whole iteration (default true in lmdb; set false for long scans). */
  snapshot?: boolean;
}

export interface Entry<V> {
  key: Key;
  value: V;
}

export interface KvStore<V = unknown> {
  readonly name: string;
  get(key: Key): V | undefined;
  doesExist(key: Key, value?: unknown): boolean;
  /** Write inside engine.transaction()/transactionSync() only. */
  put(key: Key, value: V): void;
  /**
   * Puts a key that sorts after every key in the store (LMDB's append: no B-tree search, pages
   * filled completely). Returns false and writes nothing when it does not; the caller then
   * uses put(). Not for dupSort stores. Write inside a transaction only.
   */
  append(key: Key, value: V): boolean;
  /** Removes a key (or one value of a dupSort key). Write inside a transaction only. */
  remove(key: Key, value?: unknown): boolean;
  getRange(options?: RangeOptions): Iterable<Entry<V>>;
  getKeys(options?: RangeOptions): Iterable<Key>;
  /** Values of one key in a dupSort store, in order. */
  getValues(key: Key, options?: RangeOptions): Iterable<V>;
  /** Number of entries (of a range when given). */
  getCount(options?: RangeOptions): number;
  /** Removes every entry and the store itself. Write inside a transaction only. */
  drop(): void;
  /** Removes every entry, keeping the store. Write inside a transaction only. */
  clear(): void;
}

export interface StoreOptions {
  /** Several sorted values per key (secondary indexes). */
  dupSort?: boolean;
  /** Share msgpack structures across the store's records (smaller, faster records). */
  structures?: boolean;
  /** Store raw values (Buffers) instead of msgpack. */
  binary?: boolean;
}

export interface StorageStats {
  mapSizeBytes: number;
  usedBytes: number;
  pageSize: number;
  lastTxnId: number;
  readers: number;
}

export interface StorageEngine {
  openStore<V = unknown>(name: string, options?: StoreOptions): KvStore<V>;
  /** Names of the stores on disk that start with `prefix`, in order (opened or not). */
  storeNames(prefix: string): string[];
  /**
   * Runs fn inside the next write transaction, batched with every other write queued in the
   * same event turn. fn must be synchronous and must not throw after its first write. The
   * promise resolves once the transaction is committed and flushed to disk.
   */
  transaction<T>(fn: () => T): Promise<T>;
  /** Runs fn in its own synchronous, immediately committed transaction (start-up, admin work). */
  transactionSync<T>(fn: () => T): T;
  /** Resolves when every write queued so far is durable. */
  flushed(): Promise<void>;
  stats(): StorageStats;
  close(): Promise<void>;
}
