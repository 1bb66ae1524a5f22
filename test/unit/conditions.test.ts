import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compareValues, matches, parseGroup, wildcardCondition } from '../../src/records/conditions.js';

const dog = { id: 1, name: 'Penny', age: 7, tags: ['good', 'small'], owner: null };

test('3.x and 4.x condition names mean the same', () => {
  const old = parseGroup('and', [{ search_attribute: 'age', search_type: 'greater_than', search_value: 5 }]);
  const neu = parseGroup('and', [{ attribute: 'age', comparator: 'greater_than', value: 5 }]);
  assert.deepEqual(old, neu);
  assert.equal(parseGroup(undefined, [{ attribute: 'age', value: 7 }]).conditions[0]!.kind === 'condition', true);
});

test('every comparator matches as documented', () => {
  const cases: [string, unknown, boolean][] = [
    ['equals', 7, true], ['equals', '7', false], ['not_equal', 8, true], ['not_equal', 7, false],
    ['greater_than', 6, true], ['greater_than', 7, false], ['greater_than_equal', 7, true],
    ['less_than', 8, true], ['less_than', 7, false], ['less_than_equal', 7, true],
    ['between', [7, 9], true], ['between', [8, 9], false],
  ];
  for (const [comparator, value, expected] of cases) {
    assert.equal(matches(dog, parseGroup('and', [{ attribute: 'age', comparator, value }])), expected, `${comparator} ${JSON.stringify(value)}`);
  }
  const str: [string, string, boolean][] = [['contains', 'enn', true], ['starts_with', 'Pe', true], ['starts_with', 'en', false], ['ends_with', 'ny', true], ['ends_with', 'Pe', false]];
  for (const [comparator, value, expected] of str) assert.equal(matches(dog, parseGroup('and', [{ attribute: 'name', comparator, value }])), expected, comparator);
});

test('arrays match when an element does; missing and null values never compare', () => {
  assert.equal(matches(dog, parseGroup('and', [{ attribute: 'tags', value: 'small' }])), true);
  assert.equal(matches(dog, parseGroup('and', [{ attribute: 'tags', comparator: 'starts_with', value: 'go' }])), true);
  assert.equal(matches(dog, parseGroup('and', [{ attribute: 'owner', comparator: 'less_than', value: 3 }])), false);
  assert.equal(matches(dog, parseGroup('and', [{ attribute: 'nope', comparator: 'greater_than', value: 0 }])), false);
});

test('and/or and nested groups combine conditions', () => {
  const g = parseGroup('or', [
    { attribute: 'name', value: 'Kato' },
    { operator: 'and', conditions: [{ attribute: 'age', comparator: 'greater_than', value: 5 }, { attribute: 'name', comparator: 'starts_with', value: 'P' }] },
  ]);
  assert.equal(matches(dog, g), true);
  assert.equal(matches({ ...dog, age: 2 }, g), false);
  assert.equal(matches(dog, parseGroup('and', [{ attribute: 'age', value: 7 }, { attribute: 'name', value: 'x' }])), false);
});

test('bad conditions are rejected with a clear message', () => {
  assert.throws(() => parseGroup('xor', [{ attribute: 'a', value: 1 }]), /'operator'/);
  assert.throws(() => parseGroup('and', []), /non-empty array/);
  assert.throws(() => parseGroup('and', [{ attribute: 'a', comparator: 'like', value: 1 }]), /unknown comparator 'like'/);
  assert.throws(() => parseGroup('and', [{ attribute: 'a', comparator: 'between', value: 1 }]), /two elements/);
  assert.throws(() => parseGroup('and', [{ comparator: 'equals', value: 1 }]), /attribute/);
  assert.throws(() => parseGroup('and', [{ attribute: 'a' }]), /'value'/);
  assert.throws(() => parseGroup('and', [{ attribute: 'a', comparator: 'contains', value: {} }]), /string or number/);
});

test('wildcards become prefix, suffix, contains or glob conditions', () => {
  assert.equal(wildcardCondition('n', '*'), null);
  assert.equal(wildcardCondition('n', 'Pe*')!.comparator, 'starts_with');
  assert.equal(wildcardCondition('n', '*ny')!.comparator, 'ends_with');
  assert.equal(wildcardCondition('n', '*nn*')!.comparator, 'contains');
  const glob = wildcardCondition('n', 'P*n*y')!;
  assert.equal(matches({ n: 'Penny' }, { kind: 'group', operator: 'and', conditions: [glob] }), true);
  assert.equal(matches({ n: 'Pony' }, { kind: 'group', operator: 'and', conditions: [glob] }), true);
  assert.equal(matches({ n: 'Pen' }, { kind: 'group', operator: 'and', conditions: [glob] }), false);
  assert.equal(wildcardCondition('n', 7)!.comparator, 'equals');
});

test('values order numbers before strings, naturally within a type', () => {
  const sorted = ['b', 3, 'a', 1, null, true].sort(compareValues);
  assert.deepEqual(sorted, [null, true, 1, 3, 'a', 'b']);
});
