/**
 * csv_data_load, csv_file_load, csv_url_load (run as jobs), get_job, search_jobs_by_start_date.
 * Requests are validated (table, action, file) before a job starts, with HarperDB's messages.
 */
import { accessSync, constants } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { TableDef } from '../../catalog/catalog.js';
import { isSuperUser } from '../../auth/permissions.js';
import { DbError, invalid } from '../../errors/db-error.js';
import type { Body, OperationContext } from '../context.js';
import { databaseOf, requireString, tableOf } from '../fields.js';
import type { OperationRegistry } from '../registry.js';
import { assertWritable } from './writes.js';

/** csv-parse's synchronous parser, loaded by the first CSV load (an idle node never loads it). */
function csvParser(): typeof import('csv-parse/sync').parse {
  return (createRequire(import.meta.url)('csv-parse/sync') as typeof import('csv-parse/sync')).parse;
}

const CHUNK = 1000;
const ACTIONS = ['insert', 'update', 'upsert'] as const;
type Action = (typeof ACTIONS)[number];
/** Where the cells of a row longer than the header go (papaparse's name, which HarperDB loads). */
export const EXTRA_CELLS = '__parsed_extra';

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

/**
 * Parses CSV text with a header row into records, as HarperDB does: empty cells leave the
 * attribute out, a short row leaves the missing attributes out, and the cells of a row longer
 * than the header (an unquoted comma in a value) are kept in `__parsed_extra`.
 */
export function parseCsv(text: string): Record<string, unknown>[] {
  let rows: string[][];
  try {
    rows = csvParser()(text, { skip_empty_lines: true, bom: true, relax_column_count: true, trim: false }) as string[][];
  } catch (err) {
    throw invalid(`invalid CSV: ${(err as Error).message}`);
  }
  const [header, ...body] = rows;
  if (!header) return [];
  return body.map((row) => {
    const rec: Record<string, unknown> = {};
    for (let i = 0; i < row.length; i++) {
      const c = castCell(row[i]!);
      if (i < header.length) {
        if (c !== undefined) rec[header[i]!] = c;
      } else ((rec[EXTRA_CELLS] ??= []) as unknown[]).push(c ?? '');
    }
    return rec;
  });
}

function actionOf(body: Body): Action {
  const a = body.action ?? 'insert';
  if (!ACTIONS.includes(a as Action)) throw invalid(`Action is required and must be either insert, update, or upsert`);
  return a as Action;
}

/** The table a load writes to: a missing one is a 400 at request time (HarperDB). */
function loadTable(body: Body, ctx: OperationContext): TableDef {
  const database = databaseOf(body);
  const table = tableOf(body);
  try {
    return ctx.catalog.getTable(database, table);
  } catch (err) {
    if (err instanceof DbError && err.code === 'NOT_FOUND') throw invalid(err.message);
    throw err;
  }
}

async function startLoad(type: string, def: TableDef, action: Action, body: Body, ctx: OperationContext, readText: () => Promise<string>) {
  const { data: _data, ...jobBody } = body;
  const job = await ctx.jobs.start(type, ctx.user.username, jobBody, async () => {
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
  });
  return { message: `Starting job with id ${job.id}`, job_id: job.id };
}

/** csv_file_load's file check at request time, with HarperDB's messages. */
function checkReadable(path: string): void {
  try {
    accessSync(path, constants.R_OK | constants.F_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw invalid(`No such file or directory ${path}`);
    if (code === 'EACCES') throw invalid(`Permission denied ${path}`);
    throw invalid(`cannot read ${path}: ${(err as Error).message}`);
  }
}

export function registerBulkOperations(r: OperationRegistry): void {
  r.register({ name: 'csv_data_load', superUserOnly: false, handler: (b, ctx) => {
    const action = actionOf(b);
    if (b.data === undefined || b.data === null) throw invalid(`Data is required`);
    if (typeof b.data !== 'string') throw invalid(`'data' must be a string`);
    const def = loadTable(b, ctx);
    const text = b.data;
    return startLoad('csv_data_load', def, action, b, ctx, async () => text);
  } });
  r.register({ name: 'csv_file_load', superUserOnly: true, handler: (b, ctx) => {
    const action = actionOf(b);
    if (b.file_path === undefined || b.file_path === null || b.file_path === '') throw invalid(`File path is required`);
    const path = requireString(b, 'file_path');
    const def = loadTable(b, ctx);
    checkReadable(path);
    return startLoad('csv_file_load', def, action, b, ctx, () => readFile(path, 'utf8'));
  } });
  r.register({ name: 'csv_url_load', superUserOnly: false, handler: (b, ctx) => {
    const action = actionOf(b);
    if (b.csv_url === undefined || b.csv_url === null) throw invalid(`'csv_url' is required`);
    const url = typeof b.csv_url === 'string' ? b.csv_url : '';
    if (!/^https?:\/\/[^\s]+$/.test(url)) throw invalid(`'csv_url' must be a valid url`);
    const def = loadTable(b, ctx);
    return startLoad('csv_url_load', def, action, b, ctx, async () => {
      const res = await fetch(url);
      if (!res.ok) throw new Error(`There was an error downloading '${url}': it answered ${res.status}`);
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
    if (!Number.isFinite(from) || !Number.isFinite(to)) throw invalid('Invalid date, must be in ISO-8601 format (YYYY-MM-DD).');
    return ctx.jobs.byStartDate(from, to);
  } });
}
