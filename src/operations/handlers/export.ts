/**
 * export_local: runs a search (or SQL) operation as the caller and writes its rows to a JSON or
 * CSV file on the server, as a job. The path must be an existing, writable directory.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { open, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { invalid } from '../../errors/db-error.js';
import type { Body, OperationContext } from '../context.js';
import { requireString } from '../fields.js';
import type { OperationRegistry } from '../registry.js';
import { jsonArrayPiece, RowStream } from '../row-stream.js';

export const EXPORT_SOURCES = ['search_by_hash', 'search_by_id', 'search_by_value', 'search_by_conditions', 'sql'];

/** CSV with a header of every attribute in order of first appearance; objects as JSON. */
export function toCsv(rows: Record<string, unknown>[]): string {
  const columns: string[] = [];
  const seen = new Set<string>();
  for (const r of rows) for (const k of Object.keys(r)) if (!seen.has(k)) { seen.add(k); columns.push(k); }
  const cell = (v: unknown): string => {
    if (v === undefined || v === null) return '';
    const s = typeof v === 'object' ? JSON.stringify(v) : String(v);
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [columns.map(cell).join(','), ...rows.map((r) => columns.map((c) => cell(r[c])).join(','))].join('\n') + '\n';
}

/**
 * Writes the rows as one JSON array, a batch at a time (the same bytes as JSON.stringify); returns
 * how many. A read that fails part-way (its table dropped) removes the file: no partial export.
 */
export async function writeJsonRows(file: string, rows: RowStream): Promise<number> {
  const out = await open(file, 'wx');
  let n = 0;
  try {
    for await (const batch of rows) {
      await out.write(jsonArrayPiece(batch, n === 0));
      n += batch.length;
    }
    await out.write(n === 0 ? '[]' : ']');
  } catch (err) {
    await out.close();
    await unlink(file).catch(() => undefined);
    throw err;
  }
  await out.close();
  return n;
}

function checkDirectory(path: string): void {
  try {
    if (!statSync(path).isDirectory()) throw invalid(`'path' must be a directory: ${path}`);
    accessSync(path, constants.W_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw invalid(`No such file or directory ${path}`);
    if (code === 'EACCES') throw invalid(`Permission denied ${path}`);
    throw err;
  }
}

export function registerExportOperations(r: OperationRegistry): void {
  r.register({ name: 'export_local', superUserOnly: true, handler: async (b: Body, ctx: OperationContext) => {
    const format = b.format;
    if (format !== 'json' && format !== 'csv') throw invalid(`'format' must be one of json, csv`);
    const dir = requireString(b, 'path');
    const search = b.search_operation;
    if (search === null || typeof search !== 'object' || Array.isArray(search)) throw invalid(`'search_operation' is required`);
    const op = (search as Body).operation;
    if (typeof op !== 'string' || !EXPORT_SOURCES.includes(op)) throw invalid(`'search_operation.operation' must be one of ${EXPORT_SOURCES.join(', ')}`);
    if (!r.has(op)) throw invalid(`'search_operation.operation' ${op} is not available on this node`);
    const filename = b.filename === undefined ? undefined : requireString(b, 'filename');
    if (filename !== undefined && /[/\\]|^\.\.?$/.test(filename)) throw invalid(`'filename' must be a file name, not a path`);
    checkDirectory(dir);
    let named!: (id: string) => void;
    const jobId = new Promise<string>((resolve) => { named = resolve; });
    const job = await ctx.jobs.start('export_local', ctx.user.username, b, async () => {
      const result = await r.dispatch(search as Body, ctx);
      const file = join(dir, `${filename ?? await jobId}.${format}`);
      if (result instanceof RowStream && format === 'json') return `Successfully exported ${await writeJsonRows(file, result)} records to ${file}`;
      const rows = result instanceof RowStream ? await result.toArray() : result;
      if (!Array.isArray(rows)) throw new Error(`the search operation did not return rows`);
      await writeFile(file, format === 'json' ? JSON.stringify(rows) : toCsv(rows as Record<string, unknown>[]), { flag: 'wx' });
      return `Successfully exported ${rows.length} records to ${file}`;
    });
    named(job.id);
    return { message: `Starting job with id ${job.id}`, job_id: job.id };
  } });
}
