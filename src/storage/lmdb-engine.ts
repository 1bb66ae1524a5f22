/**
 * The only module that imports lmdb. Opens one LMDB environment under <rootPath>/database and
 * hands out named stores. Durability: overlappingSync is off, so a transaction promise resolves
 * only after LMDB's commit has been synced, and no reader sees a batch before it is durable;
 * an acknowledged write survives kill -9. LMDB failures are translated into DbError codes here
 * and nowhere else.
 */
import { mkdirSync } from 'node:fs';
import { open, type Database, type Key as LmdbKey, type RootDatabase } from 'lmdb';
import { DbError } from '../errors/db-error.js';
import type { Entry, Key, KvStore, RangeOptions, StorageEngine, StorageStats, StoreOptions } from './engine.js';

const STRUCTURES_KEY = Symbol.for('ferrydb.structures');
const APPEND = { append: true } as const;
const MAP_SIZE = 64 * 1024 ** 3;

export interface LmdbEngineOptions {
  /** Directory of the environment. */
  path: string;
  /** Most named stores (tables x (data, tombstones, indexes) + system stores). */
  maxStores?: number;
}

/** Opens (creating if needed) the LMDB environment at options.path. */
export function openLmdbEngine(options: LmdbEngineOptions): StorageEngine {
  mkdirSync(options.path, { recursive: true });
  let root: RootDatabase;
  try {
    root = open({
      path: options.path,
      maxDbs: options.maxStores ?? 4096,
      // Off on purpose: with it on, readers (and replication senders) see a batch before it is
      // synced, so a power loss could take back positions a peer already received. The pipelined
      // variant measured no fewer syncs per request here (see src/storage/DESIGN.md).
      overlappingSync: false,
      noMemInit: true,
      pageSize: 4096,
      // One map of 64 GB of address space (not of disk: the file grows with the data). lmdb-js's
      // default starts at 128 KB and maps the file again, twice as large, each time it outgrows the
      // map, leaving the older maps in place for readers still on them: every page read through
      // any of them stayed in the RSS (after a 1M-row load and one scan: 326 MB of a 249 MB
      // file). Past 64 GB lmdb-js still grows it. See DESIGN.md.
      mapSize: MAP_SIZE,
    });
  } catch (err) {
    throw translate(err);
  }
  const stores = new Map<string, LmdbStore<unknown>>();
  let closed = false;

  return {
    openStore<V>(name: string, opts: StoreOptions = {}): KvStore<V> {
      const existing = stores.get(name);
      if (existing) return existing as KvStore<V>;
      const dbOptions = {
        name,
        dupSort: opts.dupSort ?? false,
        encoding: opts.binary ? 'binary' : 'msgpack',
        ...(opts.structures && !opts.dupSort ? { sharedStructuresKey: STRUCTURES_KEY } : {}),
      };
      const db = root.openDB(dbOptions as never) as unknown as Database<unknown, LmdbKey>;
      // A dropped store is forgotten: opening the name again gets a new one, not the dropped handle.
      const store = new LmdbStore<unknown>(name, db, Boolean(opts.structures && !opts.dupSort), Boolean(opts.dupSort), () => stores.delete(name));
      stores.set(name, store);
      return store as KvStore<V>;
    },
    storeNames(prefix: string): string[] {
      // LMDB keeps each named database as a key of the unnamed one, which FerryDB never writes.
      const out: string[] = [];
      for (const key of root.getKeys({ start: prefix })) {
        if (typeof key !== 'string' || !key.startsWith(prefix)) break;
        out.push(key);
      }
      return out;
    },
    async transaction<T>(fn: () => T): Promise<T> {
      if (closed) throw new DbError('UNAVAILABLE', 'the database is shutting down');
      try {
        return (await root.transaction(fn)) as T;
      } catch (err) {
        throw translate(err);
      }
    },
    transactionSync<T>(fn: () => T): T {
      if (closed) throw new DbError('UNAVAILABLE', 'the database is shutting down');
      try {
        return root.transactionSync(fn) as T;
      } catch (err) {
        throw translate(err);
      }
    },
    async flushed(): Promise<void> {
      await root.flushed;
    },
    stats(): StorageStats {
      const s = root.getStats() as Record<string, number>;
      const pageSize = s.pageSize ?? 4096;
      return {
        mapSizeBytes: s.mapSize ?? 0,
        usedBytes: ((s.lastPageNumber ?? 0) + 1) * pageSize,
        pageSize,
        lastTxnId: s.lastTxnId ?? 0,
        readers: s.numReaders ?? 0,
      };
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      for (const store of stores.values()) store.gone = { error: new DbError('UNAVAILABLE', 'the database is shutting down'), closed: true };
      await root.flushed;
      await root.close();
    },
  };
}

class LmdbStore<V> implements KvStore<V> {
  readonly name: string;
  readonly #db: Database<unknown, LmdbKey>;
  readonly #hasStructures: boolean;
  readonly #dupSort: boolean;
  readonly #forget: () => void;
  /**
   * Set by drop() and by the engine's close(): an iteration still open on the store (a read that
   * yields between slices) must stop, with this error. After a close lmdb-js must not be touched at all.
   */
  gone: { error: DbError; closed: boolean } | null = null;

  constructor(name: string, db: Database<unknown, LmdbKey>, hasStructures: boolean, dupSort: boolean, forget: () => void) {
    this.name = name;
    this.#db = db;
    this.#hasStructures = hasStructures;
    this.#dupSort = dupSort;
    this.#forget = forget;
  }

  /** lmdb refuses snapshot:false on dupSort stores; those iterate on a snapshot. */
  #range(options: RangeOptions): RangeOptions {
    if (!this.#dupSort || options.snapshot === undefined) return options;
    const { snapshot: _ignored, ...rest } = options;
    return rest;
  }

  get(key: Key): V | undefined {
    if (this.gone) throw this.gone.error;
    try {
      return this.#db.get(key as LmdbKey) as V | undefined;
    } catch (err) {
      throw translate(err);
    }
  }

  doesExist(key: Key, value?: unknown): boolean {
    if (this.gone) throw this.gone.error;
    return value === undefined ? this.#db.doesExist(key as LmdbKey) : this.#db.doesExist(key as LmdbKey, value);
  }

  put(key: Key, value: V): void {
    if (this.gone) throw this.gone.error;
    try {
      this.#db.putSync(key as LmdbKey, value);
    } catch (err) {
      throw translate(err);
    }
  }

  append(key: Key, value: V): boolean {
    if (this.gone) throw this.gone.error;
    try {
      // lmdb reports an out-of-order append as a failed condition (false), never as an error
      return (this.#db.putSync(key as LmdbKey, value, APPEND) as unknown) === true;
    } catch (err) {
      throw translate(err);
    }
  }

  remove(key: Key, value?: unknown): boolean {
    if (this.gone) throw this.gone.error;
    try {
      return value === undefined ? this.#db.removeSync(key as LmdbKey) : this.#db.removeSync(key as LmdbKey, value as never);
    } catch (err) {
      throw translate(err);
    }
  }

  getRange(options: RangeOptions = {}): Iterable<Entry<V>> {
    return new Guarded(this, this.#db.getRange(this.#range(options) as never) as unknown as Iterable<Entry<V>>);
  }

  getKeys(options: RangeOptions = {}): Iterable<Key> {
    return new Guarded(this, this.#db.getKeys(this.#range(options) as never) as Iterable<Key>);
  }

  getValues(key: Key, options: RangeOptions = {}): Iterable<V> {
    return new Guarded(this, this.#db.getValues(key as LmdbKey, this.#range(options) as never) as Iterable<V>);
  }

  getCount(options?: RangeOptions): number {
    const n = options ? this.#db.getCount(options as never) : (this.#db.getStats() as { entryCount: number }).entryCount;
    // The shared-structures record lives in the same store under a symbol key.
    if (!options && this.#hasStructures && this.#db.doesExist(STRUCTURES_KEY as never)) return n - 1;
    return n;
  }

  drop(): void {
    try {
      this.#db.dropSync();
    } catch (err) {
      throw translate(err);
    }
    this.gone = { error: new DbError('NOT_FOUND', 'the table (or index) was dropped while in use'), closed: false };
    this.#forget();
  }

  clear(): void {
    try {
      this.#db.clearSync();
    } catch (err) {
      throw translate(err);
    }
  }
}

/**
 * An iteration over a store that refuses to go on once the store was dropped or the engine
 * closed. Reads yield to the event loop between slices, so a drop_table (or an index's drop), or
 * a stop, can happen in the middle of one; lmdb-js would then move its cursor on a database
 * handle (or an environment) that no longer exists. Seen: SIGSEGV over an index, and an endless
 * loop holding the event loop over a table dropped and created again. The reader gets a 404 (or
 * 503 while shutting down) instead; the check costs one field read per entry.
 */
class Guarded<T> implements Iterable<T> {
  readonly #store: { gone: LmdbStore<unknown>['gone'] };
  readonly #inner: Iterable<T>;

  constructor(store: { gone: LmdbStore<unknown>['gone'] }, inner: Iterable<T>) {
    this.#store = store;
    this.#inner = inner;
  }

  [Symbol.iterator](): Iterator<T> {
    const store = this.#store;
    const it = this.#inner[Symbol.iterator]();
    // Ends lmdb-js's cursor (it holds a read transaction), unless the environment is already closed.
    const finish = () => { if (!store.gone?.closed) it.return?.(); };
    return {
      next(): IteratorResult<T> {
        const gone = store.gone;
        if (gone) {
          finish();
          throw gone.error;
        }
        return it.next();
      },
      return(value?: unknown): IteratorResult<T> {
        finish();
        return { done: true, value: value as T };
      },
    };
  }
}

/** LMDB's errors, as DbError codes; no LMDB text or number escapes to clients. */
function translate(err: unknown): DbError {
  if (err instanceof DbError) return err;
  const e = err as { message?: string; code?: string | number };
  const msg = String(e?.message ?? err);
  if (/MDB_MAP_FULL|ENOSPC|No space left/i.test(msg)) return new DbError('STORAGE_FULL', 'storage is full', { cause: err });
  if (/key.*(too large|size)|MDB_BAD_VALSIZE/i.test(msg)) return new DbError('VALIDATION_FAILED', 'a key or indexed value is too large', { cause: err });
  if (/closed|MDB_BAD_TXN|not open/i.test(msg)) return new DbError('UNAVAILABLE', 'the database is not available', { cause: err });
  return new DbError('INTERNAL', 'storage error', { cause: err });
}
