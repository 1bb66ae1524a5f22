/** Unit tests of the Studio's data-grid logic (studio/src/lib/grid.ts) and hash routes. */
import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  DEFAULT_QUERY,
  buildPageOperation,
  countOf,
  editRecordText,
  formatCell,
  newRecordTemplate,
  nextSort,
  orderColumns,
  parseEditedRecord,
  parseFilterValue,
  parseNewRecords,
  sortRows,
  splitPage,
} from '../../studio/src/lib/grid.js';
import { browseHref, parseRoute } from '../../studio/src/lib/route.js';

const desc = {
  name: 'dog',
  hash_attribute: 'id',
  record_count: 3,
  attributes: [{ attribute: 'id' }, { attribute: 'name' }, { attribute: '__updatedtime__' }, { attribute: 'age' }, { attribute: '__createdtime__' }],
};

describe('studio grid logic', () => {
  test('an unfiltered page matches every record with a not-null primary key, asks one extra row, and sorts', () => {
    const op = buildPageOperation('dev', 'dog', 'id', { page: 2, pageSize: 25, sort: { attribute: 'name', descending: true }, filter: null }, 'conditions');
    assert.deepEqual(op, {
      operation: 'search_by_conditions',
      database: 'dev',
      table: 'dog',
      operator: 'and',
      conditions: [{ attribute: 'id', comparator: 'not_equal', value: null }],
      get_attributes: ['*'],
      limit: 26,
      offset: 50,
      sort: { attribute: 'name', descending: true },
    });
  });

  test('a filter becomes one typed condition; by_value mode is only used without a filter', () => {
    const filtered = buildPageOperation('dev', 'dog', 'id', { ...DEFAULT_QUERY, filter: { attribute: 'age', comparator: 'greater_than', value: '4' } }, 'by_value');
    assert.equal(filtered.operation, 'search_by_conditions');
    assert.deepEqual(filtered['conditions'], [{ attribute: 'age', comparator: 'greater_than', value: 4 }]);
    assert.equal('sort' in filtered, false);
    const listing = buildPageOperation('dev', 'dog', 'id', DEFAULT_QUERY, 'by_value');
    assert.deepEqual(listing, { operation: 'search_by_value', database: 'dev', table: 'dog', attribute: 'id', value: '*', get_attributes: ['*'], limit: 26, offset: 0 });
  });

  test('parseFilterValue types numbers, booleans, null and quoted text', () => {
    assert.equal(parseFilterValue('42', 'equals'), 42);
    assert.equal(parseFilterValue('-1.5', 'less_than'), -1.5);
    assert.equal(parseFilterValue('true', 'equals'), true);
    assert.equal(parseFilterValue('null', 'equals'), null);
    assert.equal(parseFilterValue('"42"', 'equals'), '42');
    assert.equal(parseFilterValue('Penny', 'equals'), 'Penny');
    assert.equal(parseFilterValue('42', 'contains'), '42');
    assert.equal(parseFilterValue('"a b"', 'starts_with'), 'a b');
  });

  test('splitPage reports whether another page exists', () => {
    assert.deepEqual(splitPage([1, 2, 3], 2), { rows: [1, 2], hasMore: true });
    assert.deepEqual(splitPage([1, 2], 2), { rows: [1, 2], hasMore: false });
  });

  test('nextSort cycles ascending, descending, none; another column restarts', () => {
    const asc = nextSort(null, 'name');
    assert.deepEqual(asc, { attribute: 'name', descending: false });
    const desc2 = nextSort(asc, 'name');
    assert.deepEqual(desc2, { attribute: 'name', descending: true });
    assert.equal(nextSort(desc2, 'name'), null);
    assert.deepEqual(nextSort(desc2, 'age'), { attribute: 'age', descending: false });
  });

  test('sortRows sorts numbers numerically and puts missing values first', () => {
    const rows = [{ n: 10 }, { n: 9 }, {}, { n: 100 }];
    assert.deepEqual(sortRows(rows, { attribute: 'n', descending: false }).map((r) => r['n']), [undefined, 9, 10, 100]);
    assert.deepEqual(sortRows(rows, { attribute: 'n', descending: true }).map((r) => r['n']), [100, 10, 9, undefined]);
  });

  test('orderColumns: primary key, other attributes and row keys alphabetically, then timestamps', () => {
    assert.deepEqual(orderColumns('id', ['name', '__updatedtime__', 'id', '__createdtime__', 'age'], [{ id: 1, zeta: 1 }]), ['id', 'age', 'name', 'zeta', '__createdtime__', '__updatedtime__']);
  });

  test('the add template lists attributes as null without key or timestamps', () => {
    assert.deepEqual(JSON.parse(newRecordTemplate(desc)), { age: null, name: null });
  });

  test('parseNewRecords accepts one object or an array and drops server timestamps', () => {
    assert.deepEqual(parseNewRecords('{"name":"Penny","__createdtime__":1}'), { ok: true, value: [{ name: 'Penny' }] });
    assert.deepEqual(parseNewRecords('[{"a":1},{"a":2}]'), { ok: true, value: [{ a: 1 }, { a: 2 }] });
    assert.equal(parseNewRecords('[]').ok, false);
    assert.equal(parseNewRecords('[1]').ok, false);
    const bad = parseNewRecords('{oops');
    assert.equal(bad.ok, false);
    if (!bad.ok) assert.match(bad.error, /not valid JSON/);
  });

  test('parseEditedRecord keeps the primary key fixed', () => {
    const original = { id: 7, name: 'Penny', __createdtime__: 1, __updatedtime__: 2 };
    const text = editRecordText(original);
    assert.deepEqual(JSON.parse(text), { id: 7, name: 'Penny' });
    assert.deepEqual(parseEditedRecord(text.replace('Penny', 'Pen'), original, 'id'), { ok: true, value: { id: 7, name: 'Pen' } });
    assert.equal(parseEditedRecord('{"id":8,"name":"x"}', original, 'id').ok, false);
    assert.equal(parseEditedRecord('{"name":"x"}', original, 'id').ok, false);
    assert.equal(parseEditedRecord('[{"id":7}]', original, 'id').ok, false);
  });

  test('formatCell and countOf', () => {
    assert.equal(formatCell(undefined), '');
    assert.equal(formatCell(null), 'null');
    assert.equal(formatCell({ a: [1] }), '{"a":[1]}');
    assert.equal(countOf([1, 2]), 2);
    assert.equal(countOf(3), 3);
    assert.equal(countOf(undefined), 0);
  });

  test('hash routes round-trip database and table names', () => {
    assert.deepEqual(parseRoute(''), { page: 'browse', database: null, table: null });
    assert.deepEqual(parseRoute('#/cluster'), { page: 'cluster' });
    assert.deepEqual(parseRoute(browseHref('my db', 'a/b')), { page: 'browse', database: 'my db', table: 'a/b' });
    assert.equal(browseHref('dev'), '#/browse/dev');
  });
});
