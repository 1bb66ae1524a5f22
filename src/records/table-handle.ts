/** The stores behind one table: records, tombstones and one dupSort store per index. */
import type { TableDef } from '../catalog/catalog.js';
import type { PrimaryKey, RecordData } from '../changelog/entry.js';
import type { KvStore, StorageEngine } from '../storage/engine.js';
import { indexKeysOf, sameIndexValue } from './index-keys.js';
import type { StoredRecord, Tombstone } from './stored.js';

const EMPTY: RecordData = Object.freeze({}) as RecordData;

export class TableHandle {
  readonly def: TableDef;
  readonly data: KvStore<StoredRecord>;
  readonly tombstones: KvStore<Tombstone>;
  readonly #engine: StorageEngine;
  readonly #indexes = new Map<string, KvStore<PrimaryKey>>();
  /**
   * Attributes whose index is being built (Records.ensureIndexed): writes keep it up to date, but
   * it is not in def.indexed, so no reader uses it before the build finishes.
   */
  readonly #building = new Set<string>();
  #mayHaveTombstones: boolean | undefined;
  /** Upper bound of the numeric keys in the record and tombstone stores (undefined: not read yet). */
  #topNumber: number | undefined;
  /** False once an append was refused (the store holds keys sorting after numbers: strings). */
  #appendable = true;
  /** One value array for every putVersion: the store encodes it before put returns. */
  readonly #stored: StoredRecord = [0, '', {}];

  constructor(engine: StorageEngine, def: TableDef) {
    this.#engine = engine;
    this.def = def;
    this.data = engine.openStore<StoredRecord>(`d:${def.id}`, { structures: true });
    this.tombstones = engine.openStore<Tombstone>(`t:${def.id}`);
  }

  /**
   * Dropped attributes still being removed from the records (Records.dropAttribute): attribute ->
   * the drop's clock reading. Readers, and writes merging into an older record, leave them out.
   */
  readonly #stripping = new Map<string, number>();
  #dropped = false;

  /** Records older than `hlc` lose `attribute` to readers and merges (an attribute drop still rewriting them). */
  hideDropped(attribute: string, hlc: number): void {
    if ((this.#stripping.get(attribute) ?? 0) < hlc) this.#stripping.set(attribute, hlc);
  }

  /** The drop at `hlc` has rewritten every record (or stopped): stored records are read as they are again. */
  doneDropping(attribute: string, hlc: number): void {
    if (this.#stripping.get(attribute) === hlc) this.#stripping.delete(attribute);
  }

  /**
   * A stored record as readers see it: while an attribute drop is still rewriting the table,
   * without the dropped attributes (one map-size check otherwise).
   */
  view(stored: StoredRecord): RecordData {
    return this.#stripping.size === 0 ? stored[2] : this.#withoutDropped(stored);
  }

  #withoutDropped(stored: StoredRecord): RecordData {
    let record = stored[2];
    for (const [attribute, hlc] of this.#stripping) {
      if (stored[0] < hlc && attribute in record) {
        const { [attribute]: _dropped, ...rest } = record;
        record = rest;
      }
    }
    return record;
  }

  /** The indexes every write keeps up to date: def.indexed and those being built. */
  get maintained(): readonly string[] {
    return this.#building.size === 0 ? this.def.indexed : [...new Set([...this.def.indexed, ...this.#building])];
  }

  isBuilding(attribute: string): boolean {
    return this.#building.has(attribute);
  }

  /** Writes start keeping this attribute's index up to date (call inside a write transaction). */
  startBuilding(attribute: string): void {
    this.#building.add(attribute);
  }

  stopBuilding(attribute: string): void {
    this.#building.delete(attribute);
  }

  /** Drops an attribute's index store (inside a write transaction) and forgets its handle. */
  dropIndex(attribute: string): void {
    this.index(attribute).drop();
    this.#indexes.delete(attribute);
    this.#building.delete(attribute);
  }

  /**
   * True when a key cannot be stored yet: a number above every numeric key ever written.
   * Sensor rows arrive with increasing ids, so inserts and replicated rows skip two B-tree
   * lookups. Every put of a record or tombstone must go through putRecord/putTombstone.
   */
  #isNew(key: PrimaryKey): boolean {
    if (typeof key !== 'number') return false;
    this.#topNumber ??= Math.max(this.#highestNumber(this.data), this.#highestNumber(this.tombstones));
    return key > this.#topNumber;
  }

  #highestNumber(store: KvStore<unknown>): number {
    for (const k of store.getKeys({ start: Number.MAX_VALUE, reverse: true, limit: 1 })) if (typeof k === 'number') return k;
    return -Infinity;
  }

  #noteKey(key: PrimaryKey): void {
    if (typeof key === 'number' && this.#topNumber !== undefined && key > this.#topNumber) this.#topNumber = key;
  }

  /** The stored record of a key (with its version), or undefined. */
  record(key: PrimaryKey): StoredRecord | undefined {
    return this.#isNew(key) ? undefined : this.data.get(key);
  }

  /**
   * Stores a record; call inside the write transaction. A number above every stored key is
   * appended (no B-tree search: increasing sensor ids fill pages in order).
   */
  putRecord(key: PrimaryKey, stored: StoredRecord): void {
    const appended = this.#appendable && typeof key === 'number' && this.#topNumber !== undefined && key > this.#topNumber && this.data.append(key, stored);
    if (!appended) {
      if (typeof key === 'number' && this.#topNumber !== undefined && key > this.#topNumber) this.#appendable = false;
      this.data.put(key, stored);
    }
    this.#noteKey(key);
  }

  /** putRecord of [hlc, origin, record] without a new array per row. */
  putVersion(key: PrimaryKey, hlc: number, origin: string, record: RecordData): void {
    const v = this.#stored;
    v[0] = hlc; v[1] = origin; v[2] = record;
    this.putRecord(key, v);
    v[2] = EMPTY; // keep no reference to the record
  }

  /** The tombstone of a key, skipping the lookup while the table has never had one. */
  tombstone(key: PrimaryKey): Tombstone | undefined {
    this.#mayHaveTombstones ??= this.tombstones.getCount() > 0;
    return this.#mayHaveTombstones && !this.#isNew(key) ? this.tombstones.get(key) : undefined;
  }

  /** Records a tombstone; call inside the write transaction. */
  putTombstone(key: PrimaryKey, tombstone: Tombstone): void {
    this.#mayHaveTombstones = true;
    this.tombstones.put(key, tombstone);
    this.#noteKey(key);
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
    const attrs = this.maintained;
    for (const attr of attrs) {
      const oldV = before?.[attr], newV = after?.[attr];
      if (before && after && sameIndexValue(oldV, newV)) continue;
      const idx = this.index(attr);
      if (before) for (const k of indexKeysOf(oldV)) idx.remove(k, key);
      if (after) for (const k of indexKeysOf(newV)) idx.put(k, key);
    }
  }

  /** True once the table was dropped: a write or a pass that held this handle across a yield must not touch it. */
  get dropped(): boolean {
    return this.#dropped;
  }

  /** Drops every store of the table; call inside a write transaction. */
  dropStores(): void {
    this.#dropped = true;
    // The indexes in use, and any store a build cut short by a stop left behind (not in the definition).
    const prefix = `i:${this.def.id}:`;
    const left = this.#engine.storeNames(prefix).filter((name) => !this.maintained.includes(name.slice(prefix.length)));
    for (const attr of this.maintained) this.index(attr).drop();
    for (const name of left) this.#engine.openStore(name, { dupSort: true }).drop();
    this.data.drop();
    this.tombstones.drop();
  }
}
