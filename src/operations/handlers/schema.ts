/** Database (schema), table and attribute operations, with HarperDB's messages. */
import { canSeeDatabase, canSeeTable, forbidden, visibleAttributes } from '../../auth/permissions.js';
import type { TableDef } from '../../catalog/catalog.js';
import { checkAttributeName, checkDatabaseName, checkTableName, TIME_ATTRIBUTES } from '../../catalog/names.js';
import { hlcToMillis } from '../../changelog/hlc.js';
import { DbError, invalid } from '../../errors/db-error.js';
import type { Body, OperationContext } from '../context.js';
import { databaseOf, requireString } from '../fields.js';
import type { OperationRegistry } from '../registry.js';

/** HarperDB's table description. */
export function describeTableDef(def: TableDef, ctx: OperationContext): Record<string, unknown> {
  const last = ctx.changelog.lastSeq(def.database, def.name);
  let lastUpdated: number | undefined;
  if (last) for (const e of ctx.changelog.readTable(def.database, def.name, { reverse: true, limit: 1 })) lastUpdated = hlcToMillis(e.hlc);
  return {
    id: def.id,
    schema: def.database,
    database: def.database,
    name: def.name,
    hash_attribute: def.hashAttribute,
    primary_key: def.hashAttribute,
    audit: true,
    schema_defined: false,
    attributes: visibleAttributes(ctx.user, def.database, def.name, def.attributes).map((attribute) => ({
      attribute,
      ...(attribute === def.hashAttribute ? { is_primary_key: true, indexed: true } : def.indexed.includes(attribute) ? { indexed: true } : {}),
    })),
    record_count: ctx.records.count(def),
    ...(lastUpdated !== undefined ? { last_updated_record: lastUpdated } : {}),
    created_time: def.createdTime,
  };
}

function describeDatabase(name: string, ctx: OperationContext): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const def of ctx.catalog.tables(name)) if (canSeeTable(ctx.user, name, def.name)) out[def.name] = describeTableDef(def, ctx);
  return out;
}

function createDatabase(word: 'schema' | 'database') {
  return (body: Body, ctx: OperationContext) => {
    const name = checkDatabaseName(body.database ?? body.schema ?? 'data');
    if (ctx.catalog.hasDatabase(name)) throw new DbError('ALREADY_EXISTS', `${word === 'schema' ? 'Schema' : 'database'} '${name}' already exists`);
    ctx.catalog.createDatabase(name);
    return `${word} '${name}' successfully created`;
  };
}

function dropDatabase(word: 'schema' | 'database') {
  return async (body: Body, ctx: OperationContext) => {
    const name = databaseOf(body);
    if (!ctx.catalog.hasDatabase(name)) throw new DbError('NOT_FOUND', `database '${name}' does not exist`);
    await ctx.records.dropDatabase(name);
    return word === 'schema' ? `successfully deleted schema '${name}'` : `successfully deleted '${name}'`;
  };
}

async function createTable(body: Body, ctx: OperationContext) {
  const database = checkDatabaseName(databaseOf(body));
  const table = checkTableName(requireString(body, 'table'));
  const hash = checkAttributeName(body.primary_key ?? body.hash_attribute ?? invalidHash(), 'hash_attribute');
  const indexed: string[] = [];
  if (body.attributes !== undefined) {
    if (!Array.isArray(body.attributes)) throw invalid(`'attributes' must be an array`);
    for (const a of body.attributes as unknown[]) {
      const spec = (typeof a === 'object' && a !== null ? a : {}) as Record<string, unknown>;
      const name = checkAttributeName(spec.name ?? spec.attribute, 'attributes[].name');
      if (spec.indexed === true || spec.isPrimaryKey === true) indexed.push(name);
    }
  }
  ctx.records.createTable(database, table, hash, indexed);
  return `table '${database}.${table}' successfully created.`;
}

function invalidHash(): never {
  throw invalid(`'hash_attribute' (or 'primary_key') is required`);
}

async function dropTable(body: Body, ctx: OperationContext) {
  const database = databaseOf(body);
  const table = requireString(body, 'table');
  await ctx.records.dropTable(database, table);
  return `successfully deleted table '${database}.${table}'`;
}

async function createAttribute(body: Body, ctx: OperationContext) {
  const database = databaseOf(body);
  const def = ctx.catalog.getTable(database, requireString(body, 'table'));
  const attribute = checkAttributeName(requireString(body, 'attribute'));
  await ctx.records.addAttribute(def, attribute);
  return `attribute '${database}.${def.name}.${attribute}' successfully created.`;
}

async function dropAttribute(body: Body, ctx: OperationContext) {
  const def = ctx.catalog.getTable(databaseOf(body), requireString(body, 'table'));
  const attribute = requireString(body, 'attribute');
  if (attribute === def.hashAttribute) throw invalid(`cannot drop the primary key attribute '${attribute}'`);
  if ((TIME_ATTRIBUTES as readonly string[]).includes(attribute)) throw invalid(`cannot drop the server-maintained attribute '${attribute}'`);
  if (!ctx.catalog.attributeSet(def).has(attribute)) throw new DbError('NOT_FOUND', `attribute '${attribute}' does not exist on '${def.database}.${def.name}'`);
  await ctx.records.dropAttribute(def, attribute);
  return `successfully deleted attribute '${attribute}'`;
}

export function registerSchemaOperations(r: OperationRegistry): void {
  r.register({ name: 'create_schema', handler: createDatabase('schema'), superUserOnly: true });
  r.register({ name: 'create_database', handler: createDatabase('database'), superUserOnly: true });
  r.register({ name: 'drop_schema', handler: dropDatabase('schema'), superUserOnly: true });
  r.register({ name: 'drop_database', handler: dropDatabase('database'), superUserOnly: true });
  r.register({ name: 'describe_schema', handler: (b, ctx) => {
    const name = databaseOf(b);
    if (!ctx.catalog.hasDatabase(name)) throw new DbError('NOT_FOUND', `database '${name}' does not exist`);
    if (!canSeeDatabase(ctx.user, name)) throw forbidden(`Your role does not have permission to view database metadata for '${name}'`);
    return describeDatabase(name, ctx);
  }, superUserOnly: false }, 'describe_database');
  r.register({ name: 'describe_all', handler: (_b, ctx) => {
    const out: Record<string, unknown> = {};
    for (const db of ctx.catalog.databases()) if (canSeeDatabase(ctx.user, db.name)) out[db.name] = describeDatabase(db.name, ctx);
    return out;
  }, superUserOnly: false });
  r.register({ name: 'create_table', handler: createTable, superUserOnly: true });
  r.register({ name: 'drop_table', handler: dropTable, superUserOnly: true });
  r.register({ name: 'describe_table', handler: (b, ctx) => {
    const def = ctx.catalog.getTable(databaseOf(b), requireString(b, 'table'));
    if (!canSeeTable(ctx.user, def.database, def.name)) throw forbidden(`Your role does not have permission to view database.table metadata for '${def.database}.${def.name}'`);
    return describeTableDef(def, ctx);
  }, superUserOnly: false });
  r.register({ name: 'create_attribute', handler: createAttribute, superUserOnly: false });
  r.register({ name: 'drop_attribute', handler: dropAttribute, superUserOnly: true });
}
