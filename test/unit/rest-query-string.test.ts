import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseRestQuery, typedValue } from '../../src/rest/query-string.js';

const cond = (attribute: string, comparator: string, value: unknown) => ({ kind: 'condition', attribute, comparator, value });
const and = (...conditions: unknown[]) => ({ kind: 'group', operator: 'and', conditions });
const or = (...conditions: unknown[]) => ({ kind: 'group', operator: 'or', conditions });

// The reference's examples (harperdb-interface.md section 4), and what each must mean.
const CASES: [string, unknown][] = [
  ['name=Penny', and(cond('name', 'equals', 'Penny'))],
  ['age=gt=20', and(cond('age', 'greater_than', 20))],
  ['age=lt=20', and(cond('age', 'less_than', 20))],
  ['age=le=20', and(cond('age', 'less_than_equal', 20))],
  ['age=ge=20', and(cond('age', 'greater_than_equal', 20))],
  ['age=ne=20', and(cond('age', 'not_equal', 20))],
  ['age!=20', and(cond('age', 'not_equal', 20))],
  ['name=ct=enn', and(cond('name', 'contains', 'enn'))],
  ['name=sw=Pe', and(cond('name', 'starts_with', 'Pe'))],
  ['name==Pe*', and(cond('name', 'starts_with', 'Pe'))],
  ['name=ew=ny', and(cond('name', 'ends_with', 'ny'))],
  ['id===7', and(cond('id', 'equals', '7'))],
  ['id!==7', and(cond('id', 'not_equal', '7'))],
  ['price=gt=100&lt=200', and(cond('price', 'greater_than', 100), cond('price', 'less_than', 200))],
  ['a=1&b=2', and(cond('a', 'equals', 1), cond('b', 'equals', 2))],
  ['a=1|b=2', or(cond('a', 'equals', 1), cond('b', 'equals', 2))],
  ['a=1&b=2|c=3', or(and(cond('a', 'equals', 1), cond('b', 'equals', 2)), cond('c', 'equals', 3))],
  ['a=1&(b=2|c=3)', and(cond('a', 'equals', 1), or(cond('b', 'equals', 2), cond('c', 'equals', 3)))],
  ['a=1&[b=2|c=3]', and(cond('a', 'equals', 1), or(cond('b', 'equals', 2), cond('c', 'equals', 3)))],
  ['zip=string:01234', and(cond('zip', 'equals', '01234'))],
  ['n=number:42', and(cond('n', 'equals', 42))],
  ['ok=boolean:true', and(cond('ok', 'equals', true))],
  ['gone=null', and(cond('gone', 'equals', null))],
  ['ts=date:2026-01-01T00:00:00Z', and(cond('ts', 'equals', Date.parse('2026-01-01T00:00:00Z')))],
  ['city=New%20York', and(cond('city', 'equals', 'New York'))],
];

for (const [query, filter] of CASES) {
  test(`query string '${query}' parses to the reference's meaning`, () => {
    assert.deepEqual(parseRestQuery(query).filter, filter);
  });
}

test('select(), limit() and sort() calls are read beside the conditions', () => {
  const q = parseRestQuery('age=gt=1&select(name,age)&limit(10,30)&sort(+name,-age)');
  assert.deepEqual(q.filter, and(cond('age', 'greater_than', 1)));
  assert.deepEqual(q.select, ['name', 'age']);
  assert.equal(q.offset, 10);
  assert.equal(q.limit, 20);
  assert.deepEqual(q.sort, [{ attribute: 'name', descending: false }, { attribute: 'age', descending: true }]);
  assert.deepEqual(parseRestQuery('select([a,b])').select, ['a', 'b']);
  assert.equal(parseRestQuery('limit(5)').limit, 5);
  assert.deepEqual(parseRestQuery('sort(name)').sort, [{ attribute: 'name', descending: false }]);
  assert.equal(parseRestQuery('').filter, null);
});

for (const bad of ['a=1&(b=2', 'a=1)', 'limit(x)', 'limit(5,2)', 'select()', 'select(a,rel{b})', 'age=zz=3', '=3', 'n=number:abc', 'a=%E0%A4%A']) {
  test(`query string '${bad}' is refused with a 400`, () => {
    assert.throws(() => parseRestQuery(bad), (err: any) => err.code === 'VALIDATION_FAILED' && typeof err.message === 'string');
  });
}

test('untyped values: canonical numbers and true/false are typed, anything else stays a string', () => {
  assert.equal(typedValue('12.5'), 12.5);
  assert.equal(typedValue('007'), '007');
  assert.equal(typedValue('1e3'), '1e3');
  assert.equal(typedValue('false'), false);
  assert.equal(typedValue('m1'), 'm1');
});
