/** Bulk loads, jobs, export_local and delete_records_before: HarperDB's answers. */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { castCell, parseCsv } from '../../src/operations/handlers/bulk.js';
import { toCsv } from '../../src/operations/handlers/export.js';
import { error, runCases } from '../helpers/conformance.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { waitFor } from '../helpers/wait-for.js';

let s: TestServer;
let dir: string;
before(async () => {
  s = await startTestServer();
  dir = mkdtempSync(join(tmpdir(), 'ferrydb-bulk-'));
  await s.op({ operation: 'create_table', database: 'dev', table: 'breed', primary_key: 'id' });
});
after(async () => { await s.close(); rmSync(dir, { recursive: true, force: true }); });

async function finished(id: string) {
  return waitFor(async () => {
    const job = (await s.op({ operation: 'get_job', id })).body[0];
    return job.status === 'COMPLETE' || job.status === 'ERROR' ? job : null;
  }, { what: `job ${id}` });
}
const started = (b: { message: string; job_id: string }) => assert.equal(b.message, `Starting job with id ${b.job_id}`);

test('CSV parsing: typed cells, short rows, and rows longer than the header (HarperDB loads them)', () => {
  assert.deepEqual(['12', '-3.5', '007', 'true', 'null', '[1,2]', '{"a":1}', 'x', '1e3', '{bad'].map(castCell), [12, -3.5, '007', true, null, [1, 2], { a: 1 }, 'x', 1000, '{bad']);
  assert.deepEqual(parseCsv('id,name,size\n1,"Husky, Siberian",\n2,Pug,small\n3,Short\n'), [{ id: 1, name: 'Husky, Siberian' }, { id: 2, name: 'Pug', size: 'small' }, { id: 3, name: 'Short' }]);
  assert.deepEqual(parseCsv('id,name,size\n4,Husky, Siberian,big\n'), [{ id: 4, name: 'Husky', size: ' Siberian', __parsed_extra: ['big'] }]);
  assert.throws(() => parseCsv('id,name\n1,"unterminated\n'), /invalid CSV/);
  assert.equal(toCsv([{ id: 1, name: 'a,b' }, { id: 2, tags: ['x'], note: 'say "hi"' }]), 'id,name,tags,note\n1,"a,b",,\n2,,"[""x""]","say ""hi"""\n');
});

test('csv loads', async (t) => {
  const file = join(dir, 'breeds.csv');
  writeFileSync(file, 'id,name,weight\n5100,Rex,4\n5101,Lady,2\n5102,Husky, Siberian,30\n');
  const rows = ['id,name,weight', ...Array.from({ length: 2500 }, (_, i) => `${i},dog${i},${i / 10}`)].join('\n');
  await runCases(t, s.op, [
    { name: 'csv_data_load starts a job that is IN_PROGRESS or later when answered', request: { operation: 'csv_data_load', database: 'dev', table: 'breed', data: rows }, status: 200, check: async (b) => {
      started(b);
      const seen = (await s.op({ operation: 'get_job', id: b.job_id })).body[0];
      assert.notEqual(seen.status, 'CREATED');
      const job = await finished(b.job_id);
      assert.equal(job.status, 'COMPLETE'); assert.equal(job.message, 'successfully loaded 2500 of 2500 records'); assert.equal(job.type, 'csv_data_load'); assert.equal(job.job_body.data, undefined);
    } },
    { name: 'the rows are typed', request: { operation: 'search_by_id', database: 'dev', table: 'breed', ids: [42], get_attributes: ['id', 'weight'] }, status: 200, body: [{ id: 42, weight: 4.2 }] },
    { name: 'csv_data_load with action update', request: { operation: 'csv_data_load', action: 'update', database: 'dev', table: 'breed', data: 'id,name\n42,Rex\n9999,Ghost' }, status: 200, check: async (b) => assert.equal((await finished(b.job_id)).message, 'successfully loaded 1 of 2 records') },
    { name: 'csv_file_load of a file with an unquoted comma loads every row', request: { operation: 'csv_file_load', database: 'dev', table: 'breed', file_path: file }, status: 200, check: async (b) => {
      const job = await finished(b.job_id);
      assert.equal(job.status, 'COMPLETE'); assert.equal(job.message, 'successfully loaded 3 of 3 records');
    } },
    { name: 'the long row kept its extra cells', request: { operation: 'search_by_id', database: 'dev', table: 'breed', ids: [5102], get_attributes: ['name', 'weight', '__parsed_extra'] }, status: 200, body: [{ name: 'Husky', weight: ' Siberian', __parsed_extra: [30] }] },
    { name: 'csv_file_load of a missing file is a 400 at request time', request: { operation: 'csv_file_load', database: 'dev', table: 'breed', file_path: join(dir, 'nope.csv') }, status: 400, body: error(`No such file or directory ${join(dir, 'nope.csv')}`) },
    { name: 'csv_file_load into a missing table is a 400', request: { operation: 'csv_file_load', database: 'dev', table: 'nope', file_path: file }, status: 400, body: error("Table 'dev.nope' does not exist") },
    { name: 'csv_data_load into a missing table is a 400', request: { operation: 'csv_data_load', database: 'dev', table: 'nope', data: 'id\n1' }, status: 400, body: error("Table 'dev.nope' does not exist") },
    { name: 'csv_data_load without data', request: { operation: 'csv_data_load', database: 'dev', table: 'breed' }, status: 400, body: error('Data is required') },
    { name: 'csv_file_load without file_path', request: { operation: 'csv_file_load', database: 'dev', table: 'breed' }, status: 400, body: error('File path is required') },
    { name: 'a bad action', request: { operation: 'csv_data_load', database: 'dev', table: 'breed', action: 'merge', data: 'id\n1' }, status: 400, body: error('Action is required and must be either insert, update, or upsert') },
    { name: 'csv_url_load with a bad URL', request: { operation: 'csv_url_load', database: 'dev', table: 'breed', csv_url: 'not a url' }, status: 400, body: error("'csv_url' must be a valid url") },
    { name: 'broken CSV ends the job in ERROR with the reason', request: { operation: 'csv_data_load', database: 'dev', table: 'breed', data: 'id,name\n1,"oops\n' }, status: 200, check: async (b) => {
      const job = await finished(b.job_id);
      assert.equal(job.status, 'ERROR'); assert.match(job.message, /invalid CSV/);
    } },
    { name: 'get_job of an unknown id', request: { operation: 'get_job', id: 'nope' }, status: 404, body: error("job 'nope' not found") },
    { name: 'search_jobs_by_start_date', request: { operation: 'search_jobs_by_start_date', from_date: new Date(Date.now() - 600_000).toISOString(), to_date: new Date(Date.now() + 600_000).toISOString() }, status: 200, check: (b) => assert.equal(b.length, 4) },
    { name: 'search_jobs_by_start_date with a bad date', request: { operation: 'search_jobs_by_start_date', from_date: 'soon', to_date: 'later' }, status: 400, body: error('Invalid date, must be in ISO-8601 format (YYYY-MM-DD).') },
  ]);
});

test('export_local', async (t) => {
  await runCases(t, s.op, [
    { name: 'json from search_by_value', request: { operation: 'export_local', format: 'json', path: dir, filename: 'out', search_operation: { operation: 'search_by_value', database: 'dev', table: 'breed', attribute: 'id', value: '*', get_attributes: ['id', 'name'] } }, status: 200, check: async (b) => {
      started(b);
      const job = await finished(b.job_id);
      assert.equal(job.status, 'COMPLETE', job.message);
      const rows = JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8'));
      assert.equal(rows.length, 2503);
      assert.deepEqual(rows.find((r: { id: number }) => r.id === 42), { id: 42, name: 'Rex' });
    } },
    { name: 'csv from search_by_conditions, named after the job', request: { operation: 'export_local', format: 'csv', path: dir, search_operation: { operation: 'search_by_conditions', database: 'dev', table: 'breed', get_attributes: ['id', 'name'], conditions: [{ attribute: 'id', comparator: 'between', value: [5100, 5101] }] } }, status: 200, check: async (b) => {
      assert.equal((await finished(b.job_id)).status, 'COMPLETE');
      assert.equal(readFileSync(join(dir, `${b.job_id}.csv`), 'utf8'), 'id,name\n5100,Rex\n5101,Lady\n');
    } },
    { name: 'csv from SQL', request: { operation: 'export_local', format: 'csv', path: dir, filename: 'from-sql', search_operation: { operation: 'sql', sql: 'SELECT id, name FROM dev.breed WHERE id >= 5100 AND id <= 5101 ORDER BY id' } }, status: 200, check: async (b) => {
      assert.equal((await finished(b.job_id)).status, 'COMPLETE');
      assert.equal(readFileSync(join(dir, 'from-sql.csv'), 'utf8'), 'id,name\n5100,Rex\n5101,Lady\n');
    } },
    { name: 'a bad format', request: { operation: 'export_local', format: 'xml', path: dir, search_operation: { operation: 'search_by_id' } }, status: 400, body: error("'format' must be one of json, csv") },
    { name: 'a missing directory', request: { operation: 'export_local', format: 'json', path: join(dir, 'nope'), search_operation: { operation: 'search_by_id', table: 'breed', ids: [1] } }, status: 400, body: error(`No such file or directory ${join(dir, 'nope')}`) },
    { name: 'a source that is not a search', request: { operation: 'export_local', format: 'json', path: dir, search_operation: { operation: 'drop_table', table: 'breed' } }, status: 400, body: error("'search_operation.operation' must be one of search_by_hash, search_by_id, search_by_value, search_by_conditions, sql") },
    { name: 'a failing search ends the job in ERROR', request: { operation: 'export_local', format: 'json', path: dir, search_operation: { operation: 'search_by_id', database: 'dev', table: 'nope', ids: [1] } }, status: 200, check: async (b) => {
      const job = await finished(b.job_id);
      assert.equal(job.status, 'ERROR'); assert.equal(job.message, "Table 'dev.nope' does not exist");
    } },
  ]);
});

test('delete_records_before removes old records on this node only (no change-log entries)', async (t) => {
  await s.op({ operation: 'create_table', database: 'dev', table: 'old', primary_key: 'id' });
  await s.op({ operation: 'insert', database: 'dev', table: 'old', records: [{ id: 1 }, { id: 2 }] });
  const cut = new Date(Date.now() + 1).toISOString();
  await waitFor(() => Date.now() > Date.parse(cut) + 1);
  await s.op({ operation: 'insert', database: 'dev', table: 'old', records: [{ id: 3 }] });
  await runCases(t, s.op, [
    { name: 'delete_records_before', request: { operation: 'delete_records_before', schema: 'dev', table: 'old', date: cut }, status: 200, check: async (b) => {
      const job = await finished(b.job_id);
      assert.equal(job.status, 'COMPLETE'); assert.match(job.message, /^2 records created before .* deleted from 'dev\.old' on this node$/);
    } },
    { name: 'only the newer record is left', request: { operation: 'search_by_value', database: 'dev', table: 'old', attribute: 'id', value: '*', get_attributes: ['id'] }, status: 200, body: [{ id: 3 }] },
    { name: 'the trim is not in the audit log', request: { operation: 'read_audit_log', database: 'dev', table: 'old' }, status: 200, check: (b) => assert.deepEqual(b.map((e: { operation: string }) => e.operation), ['insert', 'insert']) },
    { name: 'delete_files_before without a date', request: { operation: 'delete_files_before', schema: 'dev', table: 'old' }, status: 400, body: error("'date' is required") },
    { name: 'delete_records_before with a bad date', request: { operation: 'delete_records_before', schema: 'dev', table: 'old', date: 'yesterday' }, status: 400, body: error("'date' must be a date or epoch milliseconds") },
  ]);
});
