/** insert, update, upsert and delete with HarperDB's response shapes. */
import { AccessCheck, isSuperUser, type TableAction } from '../../auth/permissions.js';
import type { TableDef } from '../../catalog/catalog.js';
import { DbError } from '../../errors/db-error.js';
import type { Body, OperationContext } from '../context.js';
import { databaseOf, keysOf, requireString } from '../fields.js';
import type { OperationRegistry } from '../registry.js';

/** Writes into a missing table are 400s in HarperDB (reads and deletes are 404s). */
function tableForWrite(body: Body, ctx: OperationContext) {
  try {
    return ctx.catalog.getTable(databaseOf(body), requireString(body, 'table'));
  } catch (err) {
    if (err instanceof DbError && err.code === 'NOT_FOUND') throw new DbError('VALIDATION_FAILED', err.message);
    throw err;
  }
}

/** Non-super users: every attribute written needs the action's permission, or the whole batch is refused. */
export function assertWritable(ctx: OperationContext, def: TableDef, records: unknown, actions: TableAction[]): void {
  if (isSuperUser(ctx.user) || !Array.isArray(records)) return;
  const attributes = new Set<string>();
  for (const r of records) if (r && typeof r === 'object') for (const k of Object.keys(r)) attributes.add(k);
  const check = new AccessCheck();
  for (const a of actions) check.table(ctx.user, def.database, def.name, a, attributes);
  check.assert();
}

async function insert(body: Body, ctx: OperationContext) {
  const def = tableForWrite(body, ctx);
  assertWritable(ctx, def, body.records, ['insert']);
  const r = await ctx.records.insert(def, body.records, ctx.user.username);
  return { message: `inserted ${r.written.length} of ${r.written.length + r.skipped.length} records`, inserted_hashes: r.written, skipped_hashes: r.skipped };
}

async function update(body: Body, ctx: OperationContext) {
  const def = tableForWrite(body, ctx);
  assertWritable(ctx, def, body.records, ['update']);
  const r = await ctx.records.update(def, body.records, ctx.user.username);
  return { message: `updated ${r.written.length} of ${r.written.length + r.skipped.length} records`, update_hashes: r.written, skipped_hashes: r.skipped };
}

async function upsert(body: Body, ctx: OperationContext) {
  const def = tableForWrite(body, ctx);
  assertWritable(ctx, def, body.records, ['insert', 'update']);
  const r = await ctx.records.upsert(def, body.records, ctx.user.username);
  return { message: `upserted ${r.written.length} of ${r.written.length + r.skipped.length} records`, upserted_hashes: r.written };
}

async function remove(body: Body, ctx: OperationContext) {
  const def = ctx.catalog.getTable(databaseOf(body), requireString(body, 'table'));
  const r = await ctx.records.delete(def, keysOf(body), ctx.user.username);
  return { message: `${r.written.length} of ${r.written.length + r.skipped.length} record${r.written.length + r.skipped.length === 1 ? '' : 's'} successfully deleted`, deleted_hashes: r.written, skipped_hashes: r.skipped };
}

export function registerWriteOperations(r: OperationRegistry): void {
  r.register({ name: 'insert', handler: insert, superUserOnly: false });
  r.register({ name: 'update', handler: update, superUserOnly: false });
  r.register({ name: 'upsert', handler: upsert, superUserOnly: false });
  r.register({ name: 'delete', handler: remove, superUserOnly: false });
}
