/**
 * The `system` database as read-only views in HarperDB's shape: hdb_user (never a password
 * or hash), hdb_role, hdb_job, and whatever subsystems add to services.systemTables (hdb_nodes
 * from replication). Answers describe_database/describe_schema/describe_table and
 * search_by_hash/id, search_by_value, search_by_conditions (super users; the registry routes
 * here and refuses every write).
 */
import { DbError, invalid } from '../../errors/db-error.js';
import { compareValues, matches, parseGroup, wildcardCondition, type Group } from '../../records/conditions.js';
import type { Body, OperationContext } from '../context.js';
import { attributesOf, keysOf, optionalInt, project, requireString } from '../fields.js';

interface View { primaryKey: string; rows: () => Record<string, unknown>[] }

const PRIMARY_KEYS: Record<string, string> = { hdb_user: 'username', hdb_role: 'id', hdb_job: 'id', hdb_nodes: 'name' };

function views(ctx: OperationContext): Map<string, View> {
  const out = new Map<string, View>();
  out.set('hdb_user', {
    primaryKey: 'username',
    rows: () => ctx.users.storedAll().map((u) => ({ username: u.username, active: u.active, role: u.role, __createdtime__: u.createdTime, __updatedtime__: u.updatedTime })),
  });
  out.set('hdb_role', { primaryKey: 'id', rows: () => ctx.users.roles.list().map((r) => ({ ...r })) });
  out.set('hdb_job', { primaryKey: 'id', rows: () => ctx.jobs.all().map((j) => ({ ...j })) });
  for (const [name, rows] of ctx.systemTables) out.set(name, { primaryKey: PRIMARY_KEYS[name] ?? 'id', rows });
  return out;
}

/** Rows and primary key of one `system` view, for other readers (SQL); undefined when there is no such table. */
export function systemTable(ctx: OperationContext, table: string): { primaryKey: string; rows: Record<string, unknown>[] } | undefined {
  const view = views(ctx).get(table);
  return view && { primaryKey: view.primaryKey, rows: view.rows() };
}

function attributesOfRows(view: View, rows: Record<string, unknown>[]): string[] {
  const names = new Set<string>([view.primaryKey]);
  for (const r of rows) for (const k of Object.keys(r)) names.add(k);
  return [...names];
}

function describe(name: string, view: View): Record<string, unknown> {
  const rows = view.rows();
  return {
    schema: 'system', database: 'system', name, hash_attribute: view.primaryKey, primary_key: view.primaryKey,
    attributes: attributesOfRows(view, rows).map((attribute) => ({ attribute, ...(attribute === view.primaryKey ? { is_primary_key: true, indexed: true } : {}) })),
    record_count: rows.length,
  };
}

function viewOf(body: Body, ctx: OperationContext): [string, View] {
  const table = requireString(body, 'table');
  const view = views(ctx).get(table);
  if (!view) throw new DbError('NOT_FOUND', `Table 'system.${table}' does not exist`);
  return [table, view];
}

function finish(rows: Record<string, unknown>[], body: Body, view: View): Record<string, unknown>[] {
  const attrs = attributesOf(body);
  let out = rows;
  const sort = body.sort as { attribute?: unknown; descending?: unknown } | undefined;
  const sortAttr = typeof sort?.attribute === 'string' ? sort.attribute : view.primaryKey;
  out = [...out].sort((a, b) => compareValues(a[sortAttr], b[sortAttr]) * (sort?.descending === true ? -1 : 1));
  const offset = optionalInt(body, 'offset') ?? 0;
  const limit = optionalInt(body, 'limit');
  out = out.slice(offset, limit === undefined ? undefined : offset + limit);
  return out.map((r) => project(r, attrs));
}

/** The registry's handler for every read of the `system` database. */
export function systemDatabase(body: Body, ctx: OperationContext): unknown {
  switch (body.operation) {
    case 'describe_database':
    case 'describe_schema': {
      const out: Record<string, unknown> = {};
      for (const [name, view] of views(ctx)) out[name] = describe(name, view);
      return out;
    }
    case 'describe_table': {
      const [name, view] = viewOf(body, ctx);
      return describe(name, view);
    }
    case 'search_by_hash':
    case 'search_by_id': {
      const [, view] = viewOf(body, ctx);
      const keys = new Set<unknown>(keysOf(body));
      return finish(view.rows().filter((r) => keys.has(r[view.primaryKey])), body, view);
    }
    case 'search_by_value': {
      const [, view] = viewOf(body, ctx);
      const attribute = requireString(body, 'attribute', 'search_attribute');
      const value = 'value' in body ? body.value : body.search_value;
      if (value === undefined) throw invalid(`'value' (or 'search_value') is required`);
      const cond = wildcardCondition(attribute, value);
      return finish(view.rows().filter((r) => (cond ? matches(r, cond) : r[attribute] !== undefined)), body, view);
    }
    case 'search_by_conditions': {
      const [, view] = viewOf(body, ctx);
      const filter: Group = parseGroup(body.operator, body.conditions);
      return finish(view.rows().filter((r) => matches(r, filter)), body, view);
    }
    default:
      throw new DbError('FORBIDDEN', `Operation '${String(body.operation)}' is not available on the 'system' database`);
  }
}
