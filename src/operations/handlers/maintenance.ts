/**
 * delete_records_before / delete_files_before (local trim of old records) and
 * delete_audit_logs_before / delete_transaction_logs_before (trim of a table's change log that
 * keeps what replication and other consumers still need). All run as jobs, as in HarperDB.
 */
import type { TableDef } from '../../catalog/catalog.js';
import { invalid } from '../../errors/db-error.js';
import type { Body, OperationContext } from '../context.js';
import { databaseOf, tableOf } from '../fields.js';
import type { OperationRegistry } from '../registry.js';
import { toMillis } from './logs.js';

function tableFor(body: Body, ctx: OperationContext): TableDef {
  return ctx.catalog.getTable(databaseOf(body), tableOf(body));
}

function required(body: Body, field: string): number {
  if (body[field] === undefined || body[field] === null || body[field] === '') throw invalid(`'${field}' is required`);
  return toMillis(body[field], field)!;
}

/** The first change-log position some consumer still needs (Infinity: none). */
function keepFrom(ctx: OperationContext, def: TableDef): { from: number; by: string[] } {
  let from = Infinity;
  const by: string[] = [];
  for (const [name, held] of ctx.changelog.holders) {
    const pos = held(def.database, def.name);
    if (pos !== undefined) { from = Math.min(from, pos + 1); by.push(name); }
  }
  for (const [name, needs] of ctx.logConsumers) {
    const pos = needs(def.database, def.name);
    if (pos !== undefined) { from = Math.min(from, pos); by.push(name); }
  }
  return { from, by };
}

async function deleteRecordsBefore(body: Body, ctx: OperationContext) {
  const def = tableFor(body, ctx);
  const before = required(body, 'date');
  const job = await ctx.jobs.start(String(body.operation), ctx.user.username, body, async () => {
    const n = await ctx.records.purgeCreatedBefore(def, before);
    return `${n} records created before ${new Date(before).toISOString()} deleted from '${def.database}.${def.name}' on this node`;
  });
  return { message: `Starting job with id ${job.id}`, job_id: job.id };
}

async function deleteLogsBefore(body: Body, ctx: OperationContext) {
  const def = tableFor(body, ctx);
  const before = required(body, 'timestamp');
  const job = await ctx.jobs.start(String(body.operation), ctx.user.username, body, async () => {
    const keep = keepFrom(ctx, def);
    const { removed, kept } = await ctx.records.trimLogBefore(def, before, keep.from);
    const note = kept ? `; kept ${kept} older entries that ${keep.by.join(', ')} still needs` : '';
    return `deleted ${removed} change-log entries of '${def.database}.${def.name}' before ${new Date(before).toISOString()}${note}`;
  });
  return { message: `Starting job with id ${job.id}`, job_id: job.id };
}

export function registerMaintenanceOperations(r: OperationRegistry): void {
  r.register({ name: 'delete_records_before', handler: deleteRecordsBefore, superUserOnly: true });
  r.register({ name: 'delete_files_before', handler: deleteRecordsBefore, superUserOnly: true });
  r.register({ name: 'delete_audit_logs_before', handler: deleteLogsBefore, superUserOnly: true });
  r.register({ name: 'delete_transaction_logs_before', handler: deleteLogsBefore, superUserOnly: true });
}
