import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { castCell, parseCsv } from '../../src/operations/handlers/bulk.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { waitFor } from '../helpers/wait-for.js';

let s: TestServer;
before(async () => {
  s = await startTestServer();
  await s.op({ operation: 'create_table', database: 'dev', table: 'breed', primary_key: 'id' });
});
after(async () => { await s.close(); });

test('CSV cells are typed: numbers, booleans, null, JSON; empty cells are left out', () => {
  assert.deepEqual(['12', '-3.5', '007', 'true', 'null', '[1,2]', '{"a":1}', 'x', '1e3', '{bad'].map(castCell), [12, -3.5, '007', true, null, [1, 2], { a: 1 }, 'x', 1000, '{bad']);
  assert.deepEqual(parseCsv('id,name,size\n1,"Husky, Siberian",\n2,Pug,small\n'), [{ id: 1, name: 'Husky, Siberian' }, { id: 2, name: 'Pug', size: 'small' }]);
  assert.throws(() => parseCsv('id,name\n1,"unterminated\n'), /invalid CSV/);
});

async function finished(id: string) {
  return waitFor(async () => {
    const job = (await s.op({ operation: 'get_job', id })).body[0];
    return job.status === 'COMPLETE' || job.status === 'ERROR' ? job : null;
  }, { what: `job ${id}` });
}

test('csv_data_load runs as a job and loads every row', async () => {
  const rows = ['id,name,weight', ...Array.from({ length: 2500 }, (_, i) => `${i},dog${i},${i / 10}`)].join('\n');
  const r = await s.op({ operation: 'csv_data_load', database: 'dev', table: 'breed', data: rows });
  assert.equal(r.status, 200);
  assert.match(r.body.message, /^Starting job with id [0-9a-f-]{36}$/);
  const job = await finished(r.body.job_id);
  assert.equal(job.status, 'COMPLETE');
  assert.equal(job.message, 'successfully loaded 2500 of 2500 records');
  assert.equal(job.type, 'csv_data_load');
  assert.equal(job.job_body.data, undefined);
  assert.equal((await s.op({ operation: 'describe_table', database: 'dev', table: 'breed' })).body.record_count, 2500);
  const [dog] = (await s.op({ operation: 'search_by_id', database: 'dev', table: 'breed', ids: [42], get_attributes: ['*'] })).body;
  assert.equal(dog.weight, 4.2);
  const update = await s.op({ operation: 'csv_data_load', action: 'update', database: 'dev', table: 'breed', data: 'id,name\n42,Rex\n9999,Ghost' });
  assert.equal((await finished(update.body.job_id)).message, 'successfully loaded 1 of 2 records');
  const jobs = (await s.op({ operation: 'search_jobs_by_start_date', from_date: new Date(Date.now() - 60_000).toISOString(), to_date: new Date(Date.now() + 60_000).toISOString() })).body;
  assert.equal(jobs.length, 2);
});

test('bad CSV ends the job in ERROR with the reason; bad requests are 400/404', async () => {
  const r = await s.op({ operation: 'csv_data_load', database: 'dev', table: 'breed', data: 'id,name\n1,"oops\n' });
  const job = await finished(r.body.job_id);
  assert.equal(job.status, 'ERROR');
  assert.match(job.message, /invalid CSV/);
  assert.equal((await s.op({ operation: 'csv_data_load', database: 'dev', table: 'breed' })).status, 400);
  assert.equal((await s.op({ operation: 'csv_data_load', database: 'dev', table: 'breed', action: 'merge', data: 'id\n1' })).status, 400);
  assert.equal((await s.op({ operation: 'csv_data_load', database: 'dev', table: 'nope', data: 'id\n1' })).status, 404);
  assert.equal((await s.op({ operation: 'get_job', id: 'nope' })).status, 404);
});
