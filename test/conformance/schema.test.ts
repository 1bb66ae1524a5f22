/** Databases (schemas), tables and attributes: HarperDB's requests, statuses and bodies. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { error, message, runCases } from '../helpers/conformance.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

let s: TestServer;
before(async () => { s = await startTestServer(); });
after(async () => { await s.close(); });

const names = (body: { attributes: { attribute: string }[] }) => body.attributes.map((a) => a.attribute).sort();

test('databases and tables', async (t) => {
  await runCases(t, s.op, [
    { name: 'create_schema answers in 4.x words', request: { operation: 'create_schema', schema: 'dev' }, status: 200, body: message("database 'dev' successfully created") },
    { name: 'create_database', request: { operation: 'create_database', database: 'prod' }, status: 200, body: message("database 'prod' successfully created") },
    { name: 'a duplicate database', request: { operation: 'create_database', database: 'prod' }, status: 400, body: error("database 'prod' already exists") },
    { name: 'HarperDB names: printable characters', request: { operation: 'create_schema', schema: 'h*rper%1' }, status: 200, body: message("database 'h*rper%1' successfully created") },
    { name: 'a table in it', request: { operation: 'create_table', schema: 'h*rper%1', table: 't.a b', hash_attribute: 'id' }, status: 200, body: message("table 'h*rper%1.t.a b' successfully created.") },
    { name: 'rows in it', request: { operation: 'insert', schema: 'h*rper%1', table: 't.a b', records: [{ id: 1 }] }, status: 200, body: { message: 'inserted 1 of 1 records', inserted_hashes: [1], skipped_hashes: [] } },
    { name: 'searches in it', request: { operation: 'search_by_id', schema: 'h*rper%1', table: 't.a b', ids: [1], get_attributes: ['id'] }, status: 200, body: [{ id: 1 }] },
    { name: 'a numeric schema is coerced', request: { operation: 'create_schema', schema: 1234 }, status: 200, body: message("database '1234' successfully created") },
    { name: 'a non-string schema', request: { operation: 'create_schema', schema: true }, status: 400, body: error("'schema' must be a string") },
    { name: 'a forward slash in a name', request: { operation: 'create_database', database: 'a/b' }, status: 400, body: error("'database' names cannot include backticks or forward slashes") },
    { name: 'a backtick in a name', request: { operation: 'create_schema', schema: 'a`b' }, status: 400, body: error("'schema' names cannot include backticks or forward slashes") },
    { name: 'system is reserved', request: { operation: 'create_database', database: 'system' }, status: 400, body: error("database 'system' is reserved") },
    { name: 'create_table with hash_attribute', request: { operation: 'create_table', schema: 'dev', table: 'dog', hash_attribute: 'id' }, status: 200, body: message("table 'dev.dog' successfully created.") },
    { name: 'create_table with primary_key', request: { operation: 'create_table', database: 'dev', table: 'cat', primary_key: 'cid' }, status: 200, body: message("table 'dev.cat' successfully created.") },
    { name: 'a duplicate table', request: { operation: 'create_table', database: 'dev', table: 'cat', primary_key: 'cid' }, status: 400, body: error("Table 'cat' already exists in 'dev'") },
    { name: 'create_table without a key', request: { operation: 'create_table', database: 'dev', table: 'nokey' }, status: 400, body: error("'hash_attribute' (or 'primary_key') is required") },
    { name: 'create_table without a table', request: { operation: 'create_table', database: 'dev', primary_key: 'id' }, status: 400, body: error("'table' is required") },
    { name: 'a numeric table name is coerced', request: { operation: 'create_table', schema: 'dev', table: 42, hash_attribute: 'id' }, status: 200, body: message("table 'dev.42' successfully created.") },
    { name: 'a missing database means data (and is created)', request: { operation: 'create_table', table: 'things', primary_key: 'id' }, status: 200, body: message("table 'data.things' successfully created.") },
    { name: 'describe_table', request: { operation: 'describe_table', database: 'dev', table: 'cat' }, status: 200, check: (b) => {
      assert.equal(b.hash_attribute, 'cid'); assert.equal(b.schema, 'dev'); assert.equal(b.name, 'cat'); assert.equal(b.record_count, 0);
      assert.deepEqual(names(b), ['__createdtime__', '__updatedtime__', 'cid']);
    } },
    { name: 'describe_table of a missing table', request: { operation: 'describe_table', database: 'dev', table: 'nope' }, status: 404, body: error("Table 'dev.nope' does not exist") },
    { name: 'describe_database without a database means data', request: { operation: 'describe_database' }, status: 200, check: (b) => assert.equal(b.things.hash_attribute, 'id') },
    { name: 'describe_schema of a missing database', request: { operation: 'describe_schema', schema: 'nope' }, status: 404, body: error("database 'nope' does not exist") },
  ]);
});

test('attributes', async (t) => {
  await runCases(t, s.op, [
    { name: 'dynamic attributes appear on insert', request: { operation: 'insert', database: 'dev', table: 'dog', records: [{ id: 1, name: 'Penny', breed: 'mutt' }] }, status: 200, body: { message: 'inserted 1 of 1 records', inserted_hashes: [1], skipped_hashes: [] } },
    { name: 'describe shows them', request: { operation: 'describe_table', database: 'dev', table: 'dog' }, status: 200, check: (b) => assert.deepEqual(names(b), ['__createdtime__', '__updatedtime__', 'breed', 'id', 'name']) },
    { name: 'create_attribute', request: { operation: 'create_attribute', database: 'dev', table: 'dog', attribute: 'owner' }, status: 200, body: message("attribute 'dev.dog.owner' successfully created.") },
    { name: 'a duplicate attribute', request: { operation: 'create_attribute', database: 'dev', table: 'dog', attribute: 'owner' }, status: 400, body: error("Attribute 'owner' already exists in dev.dog'") },
    { name: 'an attribute with a slash', request: { operation: 'create_attribute', database: 'dev', table: 'dog', attribute: 'a/b' }, status: 400, body: error('Attribute names cannot include backticks or forward slashes') },
    { name: 'an attribute with a backtick', request: { operation: 'create_attribute', database: 'dev', table: 'dog', attribute: 'a`b' }, status: 400, body: error('Attribute names cannot include backticks or forward slashes') },
    { name: 'drop_attribute', request: { operation: 'drop_attribute', database: 'dev', table: 'dog', attribute: 'breed' }, status: 200, body: message("successfully deleted attribute 'breed'") },
    { name: 'the dropped attribute is gone from records', request: { operation: 'search_by_id', database: 'dev', table: 'dog', ids: [1], get_attributes: ['id', 'name', 'breed'] }, status: 200, body: [{ id: 1, name: 'Penny' }] },
    { name: 'the primary key cannot be dropped', request: { operation: 'drop_attribute', database: 'dev', table: 'dog', attribute: 'id' }, status: 400, body: error("cannot drop a table's hash attribute") },
    { name: 'dropping a missing attribute', request: { operation: 'drop_attribute', database: 'dev', table: 'dog', attribute: 'nope' }, status: 404, body: error("Attribute 'nope' does not exist on 'dev.dog'") },
    { name: 'describe_schema counts records', request: { operation: 'describe_schema', schema: 'dev' }, status: 200, check: (b) => { assert.equal(b.dog.record_count, 1); assert.ok(b.cat); } },
    { name: 'describe_all nests databases and tables', request: { operation: 'describe_all' }, status: 200, check: (b) => { assert.equal(b.dev.dog.record_count, 1); assert.deepEqual(b.prod, {}); assert.ok(b.data.things); } },
  ]);
});

test('drops', async (t) => {
  await runCases(t, s.op, [
    { name: 'drop_table', request: { operation: 'drop_table', schema: 'dev', table: 'cat' }, status: 200, body: message("successfully deleted table 'dev.cat'") },
    { name: 'drop_table again', request: { operation: 'drop_table', schema: 'dev', table: 'cat' }, status: 404, body: error("Table 'dev.cat' does not exist") },
    { name: 'a re-created table starts empty (create)', request: { operation: 'create_table', database: 'dev', table: 'cat', primary_key: 'cid' }, status: 200 },
    { name: 'a re-created table starts empty (count)', request: { operation: 'describe_table', database: 'dev', table: 'cat' }, status: 200, check: (b) => assert.equal(b.record_count, 0) },
    { name: 'drop_schema answers in 4.x words', request: { operation: 'drop_schema', schema: 'dev' }, status: 200, body: message("successfully deleted 'dev'") },
    { name: 'drop_database', request: { operation: 'drop_database', database: 'prod' }, status: 200, body: message("successfully deleted 'prod'") },
    { name: 'drop_database of a missing database', request: { operation: 'drop_database', database: 'prod' }, status: 404, body: error("database 'prod' does not exist") },
    { name: 'the dropped database is gone', request: { operation: 'describe_all' }, status: 200, check: (b) => assert.equal(b.dev, undefined) },
  ]);
});
