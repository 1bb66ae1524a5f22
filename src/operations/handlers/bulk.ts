/** csv_data_load, csv_file_load, csv_url_load (run as jobs), get_job, search_jobs_by_start_date. */
import { readFile } from 'node:fs/promises';
import { parse } from 'csv-parse/sync';
import { isSuperUser } from '../../auth/permissions.js';
import { DbError, invalid } from '../../errors/db-error.js';
import type { Body, OperationContext } from '../context.js';
import { databaseOf, requireString } from '../fields.js';
import type { OperationRegistry } from '../registry.js';
import { assertWritable } from './writes.js';

const CHUNK = 1000;
const ACTIONS = ['insert', 'update', 'upsert'] as const;
type Action = (typeof ACTIONS)[number];

/** Turns a CSV cell into a typed value: numbers, booleans, null, JSON arrays/objects. */
export function castCell(value: string): unknown {
  if (value === '') return undefined;
  if (value === 'true') return true;
  if (value === 'false') return false;
  if (value === 'null') return null;
  if (/^-?(0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?$/.test(value) && value.length < 17) return Number(value);
  if ((value.startsWith('{') && value.endsWith('}')) || (value.startsWith('[') && value.endsWith(']'))) {
    try { return JSON.parse(value); } catch { return value; }
  }
  return value;
}

/** Parses CSV text with a header row into records (empty cells leave the attribute out). */
export function parseCsv(text: string): Record<string, unknown>[] {
  let rows: Record<string, string>[];
  try {
    rows = parse(text, { columns: true, skip_empty_lines: true, bom: true, relax_column_count: false, trim: false }) as Record<string, string>[];
  } catch (err) {
    throw invalid(`invalid CSV: ${(err as Error).message}`);
  }
  return rows.map((row) => {
    const rec: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(row)) {
      const c = castCell(v);
      if (c !== undefined) rec[k] = c;
    }
    return rec;
  });
}

function actionOf(body: Body): Action {
  const a = body.action ?? 'insert';
  if (!ACTIONS.includes(a as Action)) throw invalid(`'action' must be insert, update or upsert`);
  return a as Action;
}

function startLoad(type: string, body: Body, ctx: OperationContext, readText: () => Promise<string>) {
  const database = databaseOf(body);
  const table = requireString(body, 'table');
  const def = ctx.catalog.getTable(database, table);
  const action = actionOf(body);
  const { data: _data, ...jobBody } = body;
  return ctx.jobs.start(type, ctx.user.username, jobBody, async () => {
    const records = parseCsv(await readText());
    // The job runs as the user who started it, with that user's role as it is now.
    const user = ctx.users.get(ctx.user.username) ?? ctx.user;
    assertWritable({ ...ctx, user }, def, records, action === 'upsert' ? ['insert', 'update'] : [action]);
    let written = 0;
    for (let i = 0; i < records.length; i += CHUNK) {
      const r = await ctx.records[action](def, records.slice(i, i + CHUNK), ctx.user.username);
      written += r.written.length;
    }
    return `successfully loaded ${written} of ${records.length} records`;
  }).then((job) => ({ message: `Starting job with id ${job.id}`, job_id: job.id }));
}

export function registerBulkOperations(r: OperationRegistry): void {
  r.register({ name: 'csv_data_load', superUserOnly: false, handler: (b, ctx) => {
    if (typeof b.data !== 'string') throw invalid(`'data' must be CSV text`);
    const text = b.data;
    return startLoad('csv_data_load', b, ctx, async () => text);
  } });
  r.register({ name: 'csv_file_load', superUserOnly: true, handler: (b, ctx) => {
    const path = requireString(b, 'file_path');
    return startLoad('csv_file_load', b, ctx, () => readFile(path, 'utf8'));
  } });
  r.register({ name: 'csv_url_load', superUserOnly: false, handler: (b, ctx) => {
    const url = requireString(b, 'csv_url');
    if (!/^https?:\/\//.test(url)) throw invalid(`'csv_url' must be an http or https URL`);
    return startLoad('csv_url_load', b, ctx, async () => {
      const res = await fetch(url);
      if (!res.ok) throw new Error(`fetching ${url} answered ${res.status}`);
      return res.text();
    });
  } });
  r.register({ name: 'get_job', superUserOnly: false, handler: (b, ctx) => {
    const id = requireString(b, 'id');
    const found = ctx.jobs.get(id);
    // Other users' jobs (their bodies and results) are only shown to super users.
    const job = found && (isSuperUser(ctx.user) || found.user === ctx.user.username) ? found : undefined;
    if (!job) throw new DbError('NOT_FOUND', `job '${id}' not found`);
    return [job];
  } });
  r.register({ name: 'search_jobs_by_start_date', superUserOnly: true, handler: (b, ctx) => {
    const from = Date.parse(requireString(b, 'from_date'));
    const to = Date.parse(requireString(b, 'to_date'));
    if (!Number.isFinite(from) || !Number.isFinite(to)) throw invalid(`'from_date' and 'to_date' must be dates`);
    return ctx.jobs.byStartDate(from, to);
  } });
}
