import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

let s: TestServer;
before(async () => {
  s = await startTestServer();
  await s.op({ operation: 'create_table', database: 'dev', table: 'dog', primary_key: 'id' });
});
after(async () => { await s.close(); });

const get = async (ids: unknown[]) => (await s.op({ operation: 'search_by_id', database: 'dev', table: 'dog', ids, get_attributes: ['*'] })).body;

test('insert skips existing keys and generates UUIDs for missing ones', async () => {
  const r = await s.op({ operation: 'insert', database: 'dev', table: 'dog', records: [{ id: 1, name: 'Penny', age: 7 }, { name: 'Kato', age: 3 }] });
  assert.equal(r.status, 200);
  assert.equal(r.body.message, 'inserted 2 of 2 records');
  assert.equal(r.body.inserted_hashes[0], 1);
  assert.match(r.body.inserted_hashes[1], /^[0-9a-f-]{36}$/);
  assert.deepEqual(r.body.skipped_hashes, []);
  const again = await s.op({ operation: 'insert', database: 'dev', table: 'dog', records: [{ id: 1, name: 'Other' }, { id: 2, name: 'Riley' }] });
  assert.deepEqual(again.body, { message: 'inserted 1 of 2 records', inserted_hashes: [2], skipped_hashes: [1] });
  assert.equal((await get([1]))[0].name, 'Penny');
});

test('server time stamps are set on insert, kept on update, and cannot be written by clients', async () => {
  const before = Date.now();
  await s.op({ operation: 'insert', database: 'dev', table: 'dog', records: [{ id: 10, name: 'T', __createdtime__: 5, __updatedtime__: 5 }] });
  const [r1] = await get([10]);
  assert.ok(r1.__createdtime__ >= before && r1.__updatedtime__ === r1.__createdtime__);
  await s.op({ operation: 'update', database: 'dev', table: 'dog', records: [{ id: 10, name: 'U', __createdtime__: 1 }] });
  const [r2] = await get([10]);
  assert.equal(r2.__createdtime__, r1.__createdtime__);
  assert.ok(r2.__updatedtime__ >= r1.__updatedtime__);
  assert.equal(r2.name, 'U');
});

test('update merges attributes and skips missing keys (update_hashes)', async () => {
  const r = await s.op({ operation: 'update', database: 'dev', table: 'dog', records: [{ id: 1, age: 8 }, { id: 999, age: 1 }] });
  assert.deepEqual(r.body, { message: 'updated 1 of 2 records', update_hashes: [1], skipped_hashes: [999] });
  const [p] = await get([1]);
  assert.equal(p.name, 'Penny');
  assert.equal(p.age, 8);
  const bad = await s.op({ operation: 'update', database: 'dev', table: 'dog', records: [{ age: 1 }] });
  assert.equal(bad.status, 400);
  assert.match(bad.body.error, /primary key/);
});

test('upsert inserts or merges and answers upserted_hashes without skipped_hashes', async () => {
  const r = await s.op({ operation: 'upsert', database: 'dev', table: 'dog', records: [{ id: 1, color: 'brown' }, { id: 3, name: 'Biggie' }] });
  assert.deepEqual(r.body, { message: 'upserted 2 of 2 records', upserted_hashes: [1, 3] });
  const rows = await get([1, 3]);
  assert.equal(rows[0].name, 'Penny');
  assert.equal(rows[0].color, 'brown');
  assert.equal(rows[1].name, 'Biggie');
});

test('delete accepts ids and hash_values and reports skipped keys', async () => {
  const r = await s.op({ operation: 'delete', database: 'dev', table: 'dog', ids: [3, 404] });
  assert.deepEqual(r.body, { message: '1 of 2 records successfully deleted', deleted_hashes: [3], skipped_hashes: [404] });
  const r2 = await s.op({ operation: 'delete', schema: 'dev', table: 'dog', hash_values: [2] });
  assert.deepEqual(r2.body.deleted_hashes, [2]);
  assert.deepEqual(await get([2, 3]), []);
  assert.equal((await s.op({ operation: 'delete', database: 'dev', table: 'nope', ids: [1] })).status, 404);
});

test('a batch with one invalid record is rejected whole and writes nothing', async () => {
  const count = async () => (await s.op({ operation: 'describe_table', database: 'dev', table: 'dog' })).body.record_count;
  const n = await count();
  const r = await s.op({ operation: 'insert', database: 'dev', table: 'dog', records: [{ id: 50 }, { id: { bad: true } }, { id: 51 }] });
  assert.equal(r.status, 400);
  assert.match(r.body.error, /record 1/);
  assert.equal(await count(), n);
  assert.equal((await s.op({ operation: 'insert', database: 'dev', table: 'dog', records: [{ id: 52 }, 'str'] })).status, 400);
  assert.equal((await s.op({ operation: 'insert', database: 'dev', table: 'dog', records: { id: 1 } })).status, 400);
  assert.equal((await s.op({ operation: 'insert', database: 'dev', table: 'dog', records: [{ id: 53, '': 1 }] })).status, 400);
  assert.equal((await s.op('{"operation":"insert","database":"dev","table":"dog","records":[{"id":54,"__proto__":{"polluted":true}}]}')).status, 400);
  assert.equal(await count(), n);
});

test('writes into a missing table or database are 400 with the table named', async () => {
  const r = await s.op({ operation: 'insert', database: 'dev', table: 'missing', records: [{ id: 1 }] });
  assert.equal(r.status, 400);
  assert.match(r.body.error, /dev\.missing/);
  const r2 = await s.op({ operation: 'insert', database: 'nodb', table: 'x', records: [{ id: 1 }] });
  assert.equal(r2.status, 400);
  assert.match(r2.body.error, /nodb/);
});

test('search_by_hash returns only existing keys and projects attributes', async () => {
  const rows = (await s.op({ operation: 'search_by_hash', schema: 'dev', table: 'dog', hash_values: [1, 77], get_attributes: ['name'] })).body;
  assert.deepEqual(rows, [{ name: 'Penny' }]);
  assert.equal((await s.op({ operation: 'search_by_id', database: 'dev', table: 'dog', ids: 'x' })).status, 400);
});

test('string and numeric keys are distinct and both work', async () => {
  await s.op({ operation: 'insert', database: 'dev', table: 'dog', records: [{ id: '1', name: 'string one' }] });
  const rows = await get(['1', 1]);
  assert.deepEqual(rows.map((r: { name: string }) => r.name), ['string one', 'Penny']);
});
