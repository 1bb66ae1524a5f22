/**
 * Public surface of the SQL subsystem: registerSqlOperation() adds HarperDB's `sql` operation
 * to the registry (server.ts calls it, so operations/ never imports sql/).
 * Body: {"operation":"sql","sql":"SELECT ...","explain"?: true}.
 */
import { invalid } from '../errors/db-error.js';
import type { Body, OperationContext } from '../operations/context.js';
import type { OperationRegistry } from '../operations/registry.js';
import { join } from 'node:path';
import { ScanWorker } from './parallel-scan.js';
import { SqlParser, type ParsedSql } from './parse.js';
import { pointShapeOf, runPoint } from './point.js';
import type { SqlServices } from './run-context.js';
import { runSelect } from './select.js';
import { runDelete, runInsert, runUpdate } from './writes.js';

export interface SqlHandle {
  close(): Promise<void>;
}

async function run(svc: SqlServices, parsed: ParsedSql, explainField: boolean): Promise<unknown> {
  const { statement, params } = parsed;
  const explain = explainField || statement.type === 'explain';
  const st = statement.type === 'explain' ? statement.statement : statement;
  switch (st.type) {
    case 'select': return runSelect(svc, st, params, explain);
    case 'insert': return runInsert(svc, st, params, explain);
    case 'update': return runUpdate(svc, st, params, explain);
    case 'delete': return runDelete(svc, st, params, explain);
  }
}

export function registerSqlOperation(registry: OperationRegistry): SqlHandle {
  const parser = new SqlParser();
  const worker = new ScanWorker();
  // What the scan worker opens, made once per node (not per statement: point reads run through here too).
  let scan: SqlServices['scan'];
  const handler = (body: Body, ctx: OperationContext) => {
    if (typeof body.sql !== 'string') throw invalid(`'sql' is required: the SQL statement to run`);
    if (body.explain !== undefined && typeof body.explain !== 'boolean') throw invalid(`'explain' must be true or false`);
    const svc: SqlServices = {
      records: ctx.records, catalog: ctx.catalog, user: ctx.user, maxRows: ctx.config.sql.maxRows, sliceMs: ctx.config.sql.sliceMs,
      parallelMinRows: ctx.config.sql.parallelMinRows,
      scan: scan ??= { worker, path: join(ctx.config.rootPath, 'database'), nodeName: ctx.records.changelog.nodeName },
    };
    const parsed = parser.parse(body.sql);
    if (!(parsed instanceof Promise) && body.explain !== true) {
      // Primary-key point reads answer synchronously (no plan, no promise): see point.ts.
      const shape = pointShapeOf(parsed.statement);
      const rows = shape ? runPoint(svc, shape, parsed.params) : undefined;
      if (rows) return rows;
    }
    return parsed instanceof Promise ? parsed.then((p) => run(svc, p, body.explain === true)) : run(svc, parsed, body.explain === true);
  };
  registry.register({ name: 'sql', handler, superUserOnly: false });
  return { close: async () => { await Promise.all([parser.close(), worker.close()]); } };
}
