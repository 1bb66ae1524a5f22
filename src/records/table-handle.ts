/** The stores behind one table: records, tombstones and one dupSort store per index. */
import type { TableDef } from '../catalog/catalog.js';
import type { PrimaryKey } from '../changelog/entry.js';
import type { KvStore, StorageEngine } from '../storage/engine.js';
import { indexKeysOf, sameIndexValue } from './index-keys.js';
import type { StoredRecord, Tombstone } from './stored.js';

export class TableHandle {
  readonly def: TableDef;
  readonly data: KvStore<StoredRecord>;
  readonly tombstones: KvStore<Tombstone>;
  readonly #engine: StorageEngine;
  readonly #indexes = new Map<string, KvStore<PrimaryKey>>();
  #mayHaveTombstones: boolean | undefined;

  constructor(engine: StorageEngine, def: TableDef) {
    this.#engine = engine;
    this.def = def;
    this.data = engine.openStore<StoredRecord>(`d:${def.id}`, { structures: true });
    this.tombstones = engine.openStore<Tombstone>(`t:${def.id}`);
  }

  /** The tombstone of a key, skipping the lookup while the table has never had one. */
  tombstone(key: PrimaryKey): Tombstone | undefined {
    this.#mayHaveTombstones ??= this.tombstones.getCount() > 0;
    return this.#mayHaveTombstones ? this.tombstones.get(key) : undefined;
  }

  /** Records a tombstone; call inside the write transaction. */
  putTombstone(key: PrimaryKey, tombstone: Tombstone): void {
    this.#mayHaveTombstones = true;
    this.tombstones.put(key, tombstone);
  }

  index(attribute: string): KvStore<PrimaryKey> {
    let store = this.#indexes.get(attribute);
    if (!store) {
      store = this.#engine.openStore<PrimaryKey>(`i:${this.def.id}:${attribute}`, { dupSort: true });
      this.#indexes.set(attribute, store);
    }
    return store;
  }

  /** Keeps every index in step with a record change; call inside the write transaction. */
  updateIndexes(key: PrimaryKey, before: Record<string, unknown> | undefined, after: Record<string, unknown> | undefined): void {
    for (const attr of this.def.indexed) {
      const oldV = before?.[attr], newV = after?.[attr];
      if (before && after && sameIndexValue(oldV, newV)) continue;
      const idx = this.index(attr);
      if (before) for (const k of indexKeysOf(oldV)) idx.remove(k, key);
      if (after) for (const k of indexKeysOf(newV)) idx.put(k, key);
    }
  }

  /** Drops every store of the table; call inside a write transaction. */
  dropStores(): void {
    for (const attr of this.def.indexed) this.index(attr).drop();
    this.data.drop();
    this.tombstones.drop();
  }
}
