import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

let s: TestServer;
before(async () => { s = await startTestServer(); });
after(async () => { await s.close(); });

test('create_schema / create_database answer with HarperDB messages; duplicates are 400', async () => {
  assert.deepEqual((await s.op({ operation: 'create_schema', schema: 'dev' })).body, { message: "schema 'dev' successfully created" });
  assert.deepEqual((await s.op({ operation: 'create_database', database: 'prod' })).body, { message: "database 'prod' successfully created" });
  const dup = await s.op({ operation: 'create_database', database: 'prod' });
  assert.equal(dup.status, 400);
  assert.match(dup.body.error, /already exists/);
  const bad = await s.op({ operation: 'create_database', database: 'no spaces' });
  assert.equal(bad.status, 400);
  assert.equal((await s.op({ operation: 'create_database', database: 'system' })).status, 400);
});

test('create_table takes hash_attribute or primary_key and describe_table reports it', async () => {
  assert.deepEqual((await s.op({ operation: 'create_table', schema: 'dev', table: 'dog', hash_attribute: 'id' })).body, { message: "table 'dev.dog' successfully created." });
  assert.equal((await s.op({ operation: 'create_table', database: 'dev', table: 'cat', primary_key: 'cid' })).status, 200);
  assert.equal((await s.op({ operation: 'create_table', database: 'dev', table: 'cat', primary_key: 'cid' })).status, 400);
  assert.equal((await s.op({ operation: 'create_table', database: 'dev', table: 'nokey' })).status, 400);
  const d = await s.op({ operation: 'describe_table', database: 'dev', table: 'cat' });
  assert.equal(d.status, 200);
  assert.equal(d.body.hash_attribute, 'cid');
  assert.equal(d.body.schema, 'dev');
  assert.equal(d.body.name, 'cat');
  assert.equal(d.body.record_count, 0);
  assert.deepEqual(d.body.attributes.map((a: { attribute: string }) => a.attribute).sort(), ['__createdtime__', '__updatedtime__', 'cid']);
});

test('a missing database means data, and create_table creates the database', async () => {
  assert.equal((await s.op({ operation: 'create_table', table: 'things', primary_key: 'id' })).status, 200);
  const all = await s.op({ operation: 'describe_all' });
  assert.ok(all.body.data.things);
  assert.equal((await s.op({ operation: 'describe_database' })).body.things.hash_attribute, 'id');
});

test('dynamic attributes appear on insert; create_attribute and drop_attribute manage them', async () => {
  await s.op({ operation: 'insert', database: 'dev', table: 'dog', records: [{ id: 1, name: 'Penny', breed: 'mutt' }] });
  let attrs = (await s.op({ operation: 'describe_table', database: 'dev', table: 'dog' })).body.attributes.map((a: { attribute: string }) => a.attribute);
  assert.ok(attrs.includes('name') && attrs.includes('breed'));
  assert.deepEqual((await s.op({ operation: 'create_attribute', database: 'dev', table: 'dog', attribute: 'owner' })).body, { message: "attribute 'dev.dog.owner' successfully created." });
  assert.equal((await s.op({ operation: 'create_attribute', database: 'dev', table: 'dog', attribute: 'owner' })).status, 400);
  assert.deepEqual((await s.op({ operation: 'drop_attribute', database: 'dev', table: 'dog', attribute: 'breed' })).body, { message: "successfully deleted attribute 'breed'" });
  attrs = (await s.op({ operation: 'describe_table', database: 'dev', table: 'dog' })).body.attributes.map((a: { attribute: string }) => a.attribute);
  assert.ok(!attrs.includes('breed') && attrs.includes('owner'));
  const rec = (await s.op({ operation: 'search_by_id', database: 'dev', table: 'dog', ids: [1], get_attributes: ['*'] })).body[0];
  assert.equal(rec.breed, undefined);
  assert.equal(rec.name, 'Penny');
  assert.equal((await s.op({ operation: 'drop_attribute', database: 'dev', table: 'dog', attribute: 'id' })).status, 400);
  assert.equal((await s.op({ operation: 'drop_attribute', database: 'dev', table: 'dog', attribute: 'nope' })).status, 404);
});

test('describe_schema lists tables with record counts; describe_all nests them', async () => {
  const d = await s.op({ operation: 'describe_schema', schema: 'dev' });
  assert.equal(d.body.dog.record_count, 1);
  assert.ok(d.body.cat);
  assert.equal((await s.op({ operation: 'describe_schema', schema: 'nope' })).status, 404);
  const all = await s.op({ operation: 'describe_all' });
  assert.equal(all.body.dev.dog.record_count, 1);
  assert.deepEqual(all.body.prod, {});
});

test('drop_table and drop_schema / drop_database remove data for good', async () => {
  assert.deepEqual((await s.op({ operation: 'drop_table', schema: 'dev', table: 'cat' })).body, { message: "successfully deleted table 'dev.cat'" });
  assert.equal((await s.op({ operation: 'describe_table', schema: 'dev', table: 'cat' })).status, 404);
  assert.equal((await s.op({ operation: 'drop_table', schema: 'dev', table: 'cat' })).status, 404);
  // a re-created table starts empty
  await s.op({ operation: 'create_table', database: 'dev', table: 'dog2', primary_key: 'id' });
  await s.op({ operation: 'insert', database: 'dev', table: 'dog2', records: [{ id: 1 }] });
  await s.op({ operation: 'drop_table', database: 'dev', table: 'dog2' });
  await s.op({ operation: 'create_table', database: 'dev', table: 'dog2', primary_key: 'id' });
  assert.equal((await s.op({ operation: 'describe_table', database: 'dev', table: 'dog2' })).body.record_count, 0);
  assert.deepEqual((await s.op({ operation: 'drop_schema', schema: 'dev' })).body, { message: "successfully deleted schema 'dev'" });
  assert.deepEqual((await s.op({ operation: 'drop_database', database: 'prod' })).body, { message: "successfully deleted 'prod'" });
  assert.equal((await s.op({ operation: 'drop_database', database: 'prod' })).status, 404);
  const all = await s.op({ operation: 'describe_all' });
  assert.equal(all.body.dev, undefined);
});
