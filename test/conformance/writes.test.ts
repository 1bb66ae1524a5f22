/** insert, update, upsert, delete: HarperDB's requests, statuses and bodies, messages included. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { error, runCases } from '../helpers/conformance.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

let s: TestServer;
before(async () => {
  s = await startTestServer();
  await s.op({ operation: 'create_table', database: 'dev', table: 'dog', primary_key: 'id' });
  await s.op({ operation: 'create_table', database: '1', table: '2', primary_key: 'id' });
});
after(async () => { await s.close(); });

const dog = (extra: Record<string, unknown>) => ({ database: 'dev', table: 'dog', ...extra });
const get = async (ids: unknown[]) => (await s.op({ operation: 'search_by_id', database: 'dev', table: 'dog', ids, get_attributes: ['*'] })).body;

test('insert, update, upsert, delete', async (t) => {
  await runCases(t, s.op, [
    { name: 'insert generates a UUID for a missing key', request: { operation: 'insert', ...dog({ records: [{ id: 1, name: 'Penny', age: 7 }, { name: 'Kato', age: 3 }] }) }, status: 200, check: (b) => {
      assert.equal(b.message, 'inserted 2 of 2 records'); assert.equal(b.inserted_hashes[0], 1); assert.match(b.inserted_hashes[1], /^[0-9a-f-]{36}$/); assert.deepEqual(b.skipped_hashes, []);
      assert.deepEqual(Object.keys(b).sort(), ['inserted_hashes', 'message', 'skipped_hashes']);
    } },
    { name: 'insert skips existing keys', request: { operation: 'insert', ...dog({ records: [{ id: 1, name: 'Other' }, { id: 2, name: 'Riley' }] }) }, status: 200, body: { message: 'inserted 1 of 2 records', inserted_hashes: [2], skipped_hashes: [1] } },
    { name: 'update merges and skips missing keys', request: { operation: 'update', ...dog({ records: [{ id: 1, age: 8 }, { id: 999, age: 1 }] }) }, status: 200, body: { message: 'updated 1 of 2 records', update_hashes: [1], skipped_hashes: [999] } },
    { name: 'upsert has no skipped_hashes', request: { operation: 'upsert', ...dog({ records: [{ id: 1, color: 'brown' }, { id: 3, name: 'Biggie' }] }) }, status: 200, body: { message: 'upserted 2 of 2 records', upserted_hashes: [1, 3] } },
    { name: 'delete with ids', request: { operation: 'delete', ...dog({ ids: [3, 404] }) }, status: 200, body: { message: '1 of 2 records successfully deleted', deleted_hashes: [3], skipped_hashes: [404] } },
    { name: 'delete with 3.x hash_values', request: { operation: 'delete', schema: 'dev', table: 'dog', hash_values: [2] }, status: 200, body: { message: '1 of 1 record successfully deleted', deleted_hashes: [2], skipped_hashes: [] } },
    { name: 'delete from a missing table', request: { operation: 'delete', ...dog({ table: 'nope', ids: [1] }) }, status: 404, body: error("Table 'dev.nope' does not exist") },
    { name: 'string and numeric keys are distinct', request: { operation: 'insert', ...dog({ records: [{ id: '1', name: 'string one' }] }) }, status: 200, body: { message: 'inserted 1 of 1 records', inserted_hashes: ['1'], skipped_hashes: [] } },
    { name: 'numeric schema and table are coerced to strings', request: { operation: 'insert', schema: 1, table: 2, records: [{ id: 1 }] }, status: 200, body: { message: 'inserted 1 of 1 records', inserted_hashes: [1], skipped_hashes: [] } },
  ]);
  assert.equal((await get([1]))[0].name, 'Penny');
  assert.equal((await get([1]))[0].color, 'brown');
  assert.deepEqual((await get(['1', 1])).map((r: { name: string }) => r.name), ['string one', 'Penny']);
});

test('validation messages', async (t) => {
  await runCases(t, s.op, [
    { name: 'insert without records', request: { operation: 'insert', ...dog({}) }, status: 400, body: error("'records' is required") },
    { name: 'update without records', request: { operation: 'update', ...dog({}) }, status: 400, body: error("'records' is required") },
    { name: 'upsert without records', request: { operation: 'upsert', ...dog({}) }, status: 400, body: error("'records' is required") },
    { name: 'records not an array', request: { operation: 'insert', ...dog({ records: { id: 1 } }) }, status: 400, body: error("'records' must be an array") },
    { name: 'a record that is not an object', request: { operation: 'insert', ...dog({ records: [{ id: 52 }, 'str'] }) }, status: 400, body: error("'records[1]' must be of type object") },
    { name: 'update record without the primary key', request: { operation: 'update', ...dog({ records: [{ age: 1 }] }) }, status: 400, body: error('a valid hash attribute must be provided with update record') },
    { name: 'the string key "null" is refused', request: { operation: 'insert', ...dog({ records: [{ id: 'null' }] }) }, status: 400, body: error('"null" is not a valid hash attribute value') },
    { name: 'the string key "undefined" is refused', request: { operation: 'upsert', ...dog({ records: [{ id: 'undefined' }] }) }, status: 400, body: error('"undefined" is not a valid hash attribute value') },
    { name: 'a non-string schema', request: { operation: 'insert', schema: { x: 1 }, table: 'dog', records: [] }, status: 400, body: error("'schema' must be a string") },
    { name: 'a non-string table', request: { operation: 'insert', schema: 'dev', table: [1], records: [] }, status: 400, body: error("'table' must be a string") },
    { name: 'a missing table', request: { operation: 'insert', schema: 'dev', records: [] }, status: 400, body: error("'table' is required") },
    { name: 'an attribute name with a slash', request: { operation: 'insert', ...dog({ records: [{ id: 60, 'a/b': 1 }] }) }, status: 400, body: error('Attribute names cannot include backticks or forward slashes') },
    { name: 'an attribute name with a backtick', request: { operation: 'upsert', ...dog({ records: [{ id: 60, 'a`b': 1 }] }) }, status: 400, body: error('Attribute names cannot include backticks or forward slashes') },
    { name: 'insert into a missing table is a 400', request: { operation: 'insert', ...dog({ table: 'missing', records: [{ id: 1 }] }) }, status: 400, body: error("Table 'dev.missing' does not exist") },
    { name: 'insert into a missing database is a 400', request: { operation: 'insert', database: 'nodb', table: 'x', records: [{ id: 1 }] }, status: 400, body: error("database 'nodb' does not exist") },
    { name: 'a bad primary key names the record', request: { operation: 'insert', ...dog({ records: [{ id: 50 }, { id: { bad: true } }, { id: 51 }] }) }, status: 400, body: error("record 1: primary key 'id' must be a string or number (at most 1000 bytes)") },
  ]);
});

test('a rejected batch writes nothing; server time stamps cannot be written', async () => {
  const count = async () => (await s.op({ operation: 'describe_table', database: 'dev', table: 'dog' })).body.record_count;
  const n = await count();
  assert.equal((await s.op({ operation: 'insert', ...dog({ records: [{ id: 53, '': 1 }] }) })).status, 400);
  assert.equal((await s.op('{"operation":"insert","database":"dev","table":"dog","records":[{"id":54,"__proto__":{"polluted":true}}]}')).status, 400);
  assert.equal((await s.op({ operation: 'insert', ...dog({ records: [{ id: 50 }, { id: { bad: true } }] }) })).status, 400);
  assert.equal(await count(), n);
  const before = Date.now();
  await s.op({ operation: 'insert', ...dog({ records: [{ id: 10, name: 'T', __createdtime__: 5, __updatedtime__: 5 }] }) });
  const [r1] = await get([10]);
  assert.ok(r1.__createdtime__ >= before && r1.__updatedtime__ === r1.__createdtime__);
  await s.op({ operation: 'update', ...dog({ records: [{ id: 10, name: 'U', __createdtime__: 1 }] }) });
  const [r2] = await get([10]);
  assert.equal(r2.__createdtime__, r1.__createdtime__);
  assert.ok(r2.__updatedtime__ >= r1.__updatedtime__);
});
