/**
 * Databases, tables and their attributes, persisted in the 'system:catalog' store and mirrored
 * in memory for lock-free lookups on the request path. Table data stores are named by a table
 * id, so a dropped and re-created table never sees old data.
 */
import { randomUUID } from 'node:crypto';
import { DbError, invalid } from '../errors/db-error.js';
import type { KvStore, StorageEngine } from '../storage/engine.js';
import { CREATED_TIME, TIME_ATTRIBUTES, UPDATED_TIME } from './names.js';

export interface TableDef {
  id: string;
  database: string;
  name: string;
  hashAttribute: string;
  /** Every attribute seen, in order of appearance (primary key and time stamps included). */
  attributes: string[];
  /** Attributes with a secondary index. */
  indexed: string[];
  createdTime: number;
}

export interface DatabaseDef {
  name: string;
  createdTime: number;
}

type CatalogKey = ['db', string] | ['table', string, string];

export class Catalog {
  readonly #store: KvStore<DatabaseDef | TableDef>;
  readonly #engine: StorageEngine;
  readonly #databases = new Map<string, DatabaseDef>();
  readonly #tables = new Map<string, Map<string, TableDef>>();
  readonly #attributeSets = new Map<string, Set<string>>();

  constructor(engine: StorageEngine) {
    this.#engine = engine;
    this.#store = engine.openStore<DatabaseDef | TableDef>('system:catalog');
    for (const { key, value } of this.#store.getRange()) {
      const k = key as CatalogKey;
      if (k[0] === 'db') this.#databases.set(k[1], value as DatabaseDef);
      else this.#remember(value as TableDef);
    }
  }

  databases(): DatabaseDef[] {
    return [...this.#databases.values()];
  }

  hasDatabase(name: string): boolean {
    return this.#databases.has(name);
  }

  tables(database: string): TableDef[] {
    return [...(this.#tables.get(database)?.values() ?? [])];
  }

  /** The table definition, or undefined. */
  findTable(database: string, table: string): TableDef | undefined {
    return this.#tables.get(database)?.get(table);
  }

  /** The table definition, or a 404-style error in HarperDB's words. */
  getTable(database: string, table: string): TableDef {
    const def = this.#tables.get(database)?.get(table);
    if (def) return def;
    if (!this.#databases.has(database)) throw new DbError('NOT_FOUND', `database '${database}' does not exist`);
    throw new DbError('NOT_FOUND', `Table '${database}.${table}' does not exist`);
  }

  createDatabase(name: string): DatabaseDef {
    if (this.#databases.has(name)) throw new DbError('ALREADY_EXISTS', `database '${name}' already exists`);
    const def: DatabaseDef = { name, createdTime: Date.now() };
    this.#engine.transactionSync(() => this.#store.put(['db', name], def));
    this.#databases.set(name, def);
    return def;
  }

  /** Creates the database if missing; usable inside a write transaction. */
  ensureDatabaseInTxn(name: string): void {
    if (this.#databases.has(name)) return;
    const def: DatabaseDef = { name, createdTime: Date.now() };
    this.#store.put(['db', name], def);
    this.#databases.set(name, def);
  }

  /** Removes the database entry and returns its tables (the caller drops their stores). */
  dropDatabaseInTxn(name: string): TableDef[] {
    if (!this.#databases.has(name)) throw new DbError('NOT_FOUND', `database '${name}' does not exist`);
    const tables = this.tables(name);
    for (const t of tables) this.#store.remove(['table', name, t.name]);
    this.#store.remove(['db', name]);
    return tables;
  }

  forgetDatabase(name: string): void {
    for (const t of this.tables(name)) this.#attributeSets.delete(t.id);
    this.#tables.delete(name);
    this.#databases.delete(name);
  }

  /** Builds a new table definition (not yet stored). */
  newTableDef(database: string, name: string, hashAttribute: string, indexed: string[] = []): TableDef {
    if (this.findTable(database, name)) throw new DbError('ALREADY_EXISTS', `Table '${name}' already exists in '${database}'`);
    if ((TIME_ATTRIBUTES as readonly string[]).includes(hashAttribute)) throw invalid(`'${hashAttribute}' cannot be the primary key`);
    const attributes = [hashAttribute, ...indexed.filter((a) => a !== hashAttribute), CREATED_TIME, UPDATED_TIME];
    return { id: randomUUID(), database, name, hashAttribute, attributes: [...new Set(attributes)], indexed: indexed.filter((a) => a !== hashAttribute), createdTime: Date.now() };
  }

  /** Stores a table definition; call inside a write transaction. */
  putTableInTxn(def: TableDef): void {
    this.ensureDatabaseInTxn(def.database);
    this.#store.put(['table', def.database, def.name], def);
    this.#remember(def);
  }

  removeTableInTxn(def: TableDef): void {
    this.#store.remove(['table', def.database, def.name]);
  }

  forgetTable(def: TableDef): void {
    this.#tables.get(def.database)?.delete(def.name);
    this.#attributeSets.delete(def.id);
  }

  /** Attribute names of a table as a set (for the hot insert path). */
  attributeSet(def: TableDef): Set<string> {
    let set = this.#attributeSets.get(def.id);
    if (!set) {
      set = new Set(def.attributes);
      this.#attributeSets.set(def.id, set);
    }
    return set;
  }

  /** Records new attributes of a table; call inside the write transaction that adds them. */
  addAttributesInTxn(def: TableDef, names: Iterable<string>): string[] {
    const set = this.attributeSet(def);
    const added: string[] = [];
    for (const n of names) if (!set.has(n)) { set.add(n); def.attributes.push(n); added.push(n); }
    if (added.length) this.#store.put(['table', def.database, def.name], def);
    return added;
  }

  removeAttributeInTxn(def: TableDef, name: string): void {
    def.attributes = def.attributes.filter((a) => a !== name);
    def.indexed = def.indexed.filter((a) => a !== name);
    this.#attributeSets.delete(def.id);
    this.#store.put(['table', def.database, def.name], def);
  }

  markIndexedInTxn(def: TableDef, attribute: string): void {
    if (!def.indexed.includes(attribute)) def.indexed.push(attribute);
    this.#store.put(['table', def.database, def.name], def);
  }

  #remember(def: TableDef): void {
    let tables = this.#tables.get(def.database);
    if (!tables) this.#tables.set(def.database, (tables = new Map()));
    tables.set(def.name, def);
    this.#attributeSets.delete(def.id);
  }
}
