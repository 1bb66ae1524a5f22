import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

let s: TestServer;
const dogs = [
  { id: 1, name: 'Penny', breed: 'Mutt', age: 7, weight: 30.5 },
  { id: 2, name: 'Kato', breed: 'Husky', age: 3, weight: 22 },
  { id: 3, name: 'Riley', breed: 'Mutt', age: 12, weight: 40 },
  { id: 4, name: 'Biggie', breed: 'Pug', age: 3, weight: 8.25 },
  { id: 5, name: 'Penelope', breed: 'Poodle', age: 5 },
];
before(async () => {
  s = await startTestServer();
  await s.op({ operation: 'create_table', database: 'dev', table: 'dog', primary_key: 'id' });
  await s.op({ operation: 'insert', database: 'dev', table: 'dog', records: dogs });
});
after(async () => { await s.close(); });

const ids = (rows: { id: number }[]) => rows.map((r) => r.id).sort((a, b) => a - b);
const cond = (conditions: unknown[], extra: Record<string, unknown> = {}) => s.op({ operation: 'search_by_conditions', database: 'dev', table: 'dog', get_attributes: ['*'], conditions, ...extra });

test('search_by_value supports exact values and * wildcards with 3.x and 4.x names', async () => {
  assert.deepEqual(ids((await s.op({ operation: 'search_by_value', schema: 'dev', table: 'dog', search_attribute: 'breed', search_value: 'Mutt', get_attributes: ['*'] })).body), [1, 3]);
  assert.deepEqual(ids((await s.op({ operation: 'search_by_value', database: 'dev', table: 'dog', attribute: 'name', value: 'Pen*', get_attributes: ['id'] })).body), [1, 5]);
  assert.deepEqual(ids((await s.op({ operation: 'search_by_value', database: 'dev', table: 'dog', attribute: 'name', value: '*y', get_attributes: ['id'] })).body), [1, 3]);
  assert.deepEqual(ids((await s.op({ operation: 'search_by_value', database: 'dev', table: 'dog', attribute: 'weight', value: '*', get_attributes: ['id'] })).body), [1, 2, 3, 4]);
  assert.deepEqual(ids((await s.op({ operation: 'search_by_value', database: 'dev', table: 'dog', attribute: 'id', value: '*', get_attributes: ['id'] })).body), [1, 2, 3, 4, 5]);
  assert.deepEqual(ids((await s.op({ operation: 'search_by_value', database: 'dev', table: 'dog', attribute: 'age', value: 3, get_attributes: ['id'] })).body), [2, 4]);
});

test('search_by_value pages with limit/offset and orders with desc', async () => {
  const page = (await s.op({ operation: 'search_by_value', database: 'dev', table: 'dog', attribute: 'id', value: '*', get_attributes: ['id'], desc: true, limit: 2, offset: 1 })).body;
  assert.deepEqual(page.map((r: { id: number }) => r.id), [4, 3]);
});

test('the first search of an attribute builds its index, visible in describe_table', async () => {
  const d = (await s.op({ operation: 'describe_table', database: 'dev', table: 'dog' })).body;
  const breed = d.attributes.find((a: { attribute: string }) => a.attribute === 'breed');
  assert.equal(breed.indexed, true);
  // the index stays correct through updates and deletes
  await s.op({ operation: 'update', database: 'dev', table: 'dog', records: [{ id: 3, breed: 'Pug' }] });
  assert.deepEqual(ids((await cond([{ attribute: 'breed', value: 'Pug' }])).body), [3, 4]);
  assert.deepEqual(ids((await cond([{ attribute: 'breed', value: 'Mutt' }])).body), [1]);
  await s.op({ operation: 'delete', database: 'dev', table: 'dog', ids: [4] });
  assert.deepEqual(ids((await cond([{ attribute: 'breed', value: 'Pug' }])).body), [3]);
  await s.op({ operation: 'insert', database: 'dev', table: 'dog', records: [{ id: 4, name: 'Biggie', breed: 'Pug', age: 3, weight: 8.25 }] });
  await s.op({ operation: 'update', database: 'dev', table: 'dog', records: [{ id: 3, breed: 'Mutt' }] });
});

test('search_by_conditions supports every comparator', async () => {
  const cases: [unknown, number[]][] = [
    [{ attribute: 'age', comparator: 'equals', value: 3 }, [2, 4]],
    [{ attribute: 'age', comparator: 'not_equal', value: 3 }, [1, 3, 5]],
    [{ attribute: 'age', comparator: 'greater_than', value: 5 }, [1, 3]],
    [{ attribute: 'age', comparator: 'greater_than_equal', value: 5 }, [1, 3, 5]],
    [{ attribute: 'age', comparator: 'less_than', value: 5 }, [2, 4]],
    [{ attribute: 'age', comparator: 'less_than_equal', value: 5 }, [2, 4, 5]],
    [{ attribute: 'age', comparator: 'between', value: [4, 7] }, [1, 5]],
    [{ attribute: 'name', comparator: 'contains', value: 'ne' }, [5]],
    [{ attribute: 'name', comparator: 'starts_with', value: 'Pe' }, [1, 5]],
    [{ attribute: 'name', comparator: 'ends_with', value: 'ie' }, [4]],
    [{ search_attribute: 'weight', search_type: 'less_than', search_value: 25 }, [2, 4]],
    [{ attribute: 'id', comparator: 'between', value: [2, 4] }, [2, 3, 4]],
    [{ attribute: 'id', comparator: 'greater_than', value: 3 }, [4, 5]],
  ];
  for (const [c, expected] of cases) {
    const r = await cond([c]);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(ids(r.body), expected, JSON.stringify(c));
  }
});

test('and/or operators and nested groups', async () => {
  assert.deepEqual(ids((await cond([{ attribute: 'breed', value: 'Mutt' }, { attribute: 'age', comparator: 'less_than', value: 10 }])).body), [1]);
  assert.deepEqual(ids((await cond([{ attribute: 'breed', value: 'Husky' }, { attribute: 'age', comparator: 'greater_than', value: 10 }], { operator: 'or' })).body), [2, 3]);
  const nested = await cond([
    { attribute: 'breed', value: 'Mutt' },
    { operator: 'or', conditions: [{ attribute: 'age', value: 12 }, { attribute: 'name', value: 'Penny' }] },
  ]);
  assert.deepEqual(ids(nested.body), [1, 3]);
});

test('sort (with next), limit, offset and get_attributes', async () => {
  const r = await cond([{ attribute: 'age', comparator: 'greater_than', value: 0 }], { sort: { attribute: 'age', descending: true, next: { attribute: 'id', descending: true } }, limit: 3, offset: 1, get_attributes: ['id', 'age'] });
  assert.deepEqual(r.body, [{ id: 1, age: 7 }, { id: 5, age: 5 }, { id: 4, age: 3 }]);
});

test('bad searches are 400s and missing tables 404s', async () => {
  assert.equal((await cond([{ attribute: 'age', comparator: 'near', value: 1 }])).status, 400);
  assert.equal((await cond([])).status, 400);
  assert.equal((await cond([{ attribute: 'age', value: 1 }], { limit: -1 })).status, 400);
  assert.equal((await cond([{ attribute: 'age', value: 1 }], { sort: { descending: true } })).status, 400);
  assert.equal((await s.op({ operation: 'search_by_value', database: 'dev', table: 'dog', attribute: 'x' })).status, 400);
  const missing = await s.op({ operation: 'search_by_conditions', database: 'dev', table: 'nope', conditions: [{ attribute: 'a', value: 1 }] });
  assert.equal(missing.status, 404);
  assert.match(missing.body.error, /dev\.nope/);
});

test('tables declared with indexed attributes are indexed from the start', async () => {
  await s.op({ operation: 'create_table', database: 'dev', table: 'sensor', primary_key: 'id', attributes: [{ name: 'machine_id', indexed: true }] });
  const d = (await s.op({ operation: 'describe_table', database: 'dev', table: 'sensor' })).body;
  assert.equal(d.attributes.find((a: { attribute: string }) => a.attribute === 'machine_id').indexed, true);
  await s.op({ operation: 'insert', database: 'dev', table: 'sensor', records: [{ id: 1, machine_id: 'm1' }, { id: 2, machine_id: 'm2' }, { id: 3, machine_id: 'm1' }] });
  const r = await s.op({ operation: 'search_by_value', database: 'dev', table: 'sensor', attribute: 'machine_id', value: 'm1', get_attributes: ['id'] });
  assert.deepEqual(ids(r.body), [1, 3]);
});

test('a large search result is sent a slice at a time with exactly the bytes of one JSON document', async () => {
  await s.op({ operation: 'create_table', database: 'dev', table: 'many', primary_key: 'id' });
  const n = 12_345; // more than the streaming threshold, not a multiple of the slice
  const rows = Array.from({ length: n }, (_, i) => ({ id: i, label: `r"${i}\u00e9`, nested: { k: [i, null] } }));
  for (let i = 0; i < n; i += 2000) await s.op({ operation: 'insert', database: 'dev', table: 'many', records: rows.slice(i, i + 2000) });
  const res = await fetch(s.url, {
    method: 'POST', headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from('admin:secret-pw').toString('base64')}` },
    body: JSON.stringify({ operation: 'search_by_value', database: 'dev', table: 'many', attribute: 'id', value: '*', get_attributes: ['id', 'label', 'nested'] }),
  });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /application\/json/);
  const text = await res.text();
  assert.equal(text, JSON.stringify(rows));
  // A result just above the threshold and one at it answer the same way.
  for (const limit of [5000, 5001]) {
    const r = await s.op({ operation: 'search_by_value', database: 'dev', table: 'many', attribute: 'id', value: '*', get_attributes: ['id'], limit });
    assert.deepEqual(r.body, rows.slice(0, limit).map((x) => ({ id: x.id })));
  }
});
