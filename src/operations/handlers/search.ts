/** search_by_hash/search_by_id, search_by_value and search_by_conditions. */
import { AccessCheck, forbidden, readableAttributes } from '../../auth/permissions.js';
import type { TableDef } from '../../catalog/catalog.js';
import { invalid } from '../../errors/db-error.js';
import { parseGroup, wildcardCondition, type Condition, type Group } from '../../records/conditions.js';
import { indexableConditions, type SortSpec } from '../../records/search.js';
import type { Body, OperationContext } from '../context.js';
import { attributesOf, databaseOf, keysOf, optionalInt, project, requireString, tableOf } from '../fields.js';
import type { OperationRegistry } from '../registry.js';
import { RowStream } from '../row-stream.js';

/**
 * The attributes a search may return for the caller: all requested ones when the role allows
 * them (403 naming the others when not, including attributes used in conditions), and for '*'
 * only the readable ones. null: no restriction (super users, table-level roles).
 */
function permittedAttributes(ctx: OperationContext, def: TableDef, requested: string[] | null, used: string[] = []): string[] | null {
  const readable = readableAttributes(ctx.user, def.database, def.name);
  if (!readable) return requested;
  const refused = [...(requested ?? []), ...used].filter((a) => !readable.has(a));
  if (refused.length) {
    const check = new AccessCheck().table(ctx.user, def.database, def.name, 'read', refused);
    throw check.ok ? forbidden(`This user does not have read access to '${def.database}.${def.name}'`) : check.error();
  }
  return requested ?? [...readable];
}

function conditionAttributes(node: Condition | Group | null, out: string[] = []): string[] {
  if (!node) return out;
  if (node.kind === 'condition') out.push(node.attribute);
  else for (const c of node.conditions) conditionAttributes(c, out);
  return out;
}

/** Point reads: synchronous from request to response. */
function searchById(body: Body, ctx: OperationContext) {
  const def = ctx.catalog.getTable(databaseOf(body), tableOf(body));
  const keys = keysOf(body);
  const attrs = permittedAttributes(ctx, def, attributesOf(body));
  const out: Record<string, unknown>[] = [];
  for (const k of keys) {
    const rec = ctx.records.get(def, k);
    if (rec) out.push(project(rec, attrs));
  }
  return out;
}

function parseSort(raw: unknown): SortSpec[] {
  const out: SortSpec[] = [];
  let s = raw;
  while (s !== undefined && s !== null) {
    if (typeof s !== 'object' || Array.isArray(s)) throw invalid(`'sort' must be an object {attribute, descending?, next?}`);
    const o = s as Record<string, unknown>;
    if (typeof o.attribute !== 'string' || !o.attribute) throw invalid(`'sort.attribute' must be an attribute name`);
    out.push({ attribute: o.attribute, descending: o.descending === true });
    s = o.next;
  }
  return out;
}

/** A search's rows, read as the response is sent (a result of any size is never held whole). */
async function runSearch(body: Body, ctx: OperationContext, filter: Group | null, sort: SortSpec[]): Promise<RowStream> {
  const def = ctx.catalog.getTable(databaseOf(body), tableOf(body));
  const attrs = permittedAttributes(ctx, def, attributesOf(body), [...conditionAttributes(filter), ...sort.map((x) => x.attribute)]);
  const limit = optionalInt(body, 'limit');
  const offset = optionalInt(body, 'offset');
  const wanted = indexableConditions(filter).map((c) => c.attribute);
  if (wanted.length) await ctx.records.ensureIndexed(def, wanted);
  const rows = new RowStream(ctx.records.queryBatches(def, { filter, sort, limit, offset }));
  return attrs ? rows.map((r) => project(r, attrs)) : rows;
}

function searchByValue(body: Body, ctx: OperationContext) {
  const attribute = requireString(body, 'attribute', 'search_attribute');
  const value = 'value' in body ? body.value : body.search_value;
  if (value === undefined) throw invalid(`'value' (or 'search_value') is required`);
  const cond: Condition | null = wildcardCondition(attribute, value);
  const filter: Group | null = cond ? { kind: 'group', operator: 'and', conditions: [cond] } : { kind: 'group', operator: 'and', conditions: [{ kind: 'condition', attribute, comparator: 'not_equal', value: undefined }] };
  const sort = body.desc === true || body.sort_attribute ? [{ attribute: typeof body.sort_attribute === 'string' ? body.sort_attribute : attribute, descending: body.desc === true }] : [];
  return runSearch(body, ctx, filter, sort);
}

function searchByConditions(body: Body, ctx: OperationContext) {
  const filter = parseGroup(body.operator, body.conditions);
  return runSearch(body, ctx, filter, parseSort(body.sort));
}

export function registerSearchOperations(r: OperationRegistry): void {
  r.register({ name: 'search_by_hash', handler: searchById, superUserOnly: false }, 'search_by_id');
  r.register({ name: 'search_by_value', handler: searchByValue, superUserOnly: false });
  r.register({ name: 'search_by_conditions', handler: searchByConditions, superUserOnly: false });
}
