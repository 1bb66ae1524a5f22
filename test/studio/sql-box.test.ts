/** Unit tests of the Studio SQL box's pure logic (studio/src/lib/sql.ts). */
import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { classifyResult, defaultStatement, isWrite, resultColumns } from '../../studio/src/lib/sql.js';

test('the SQL box starts with a back-quoted SELECT of the table', () => {
  assert.equal(defaultStatement('dev', 'dog'), 'SELECT * FROM `dev`.`dog` LIMIT 100');
  assert.equal(defaultStatement('de`v', 't'), 'SELECT * FROM `de``v`.`t` LIMIT 100');
});

test('result columns keep first-seen order with the primary key first', () => {
  assert.deepEqual(resultColumns([{ name: 'a', id: 1 }, { id: 2, age: 3 }], 'id'), ['id', 'name', 'age']);
  assert.deepEqual(resultColumns([{ 'COUNT(*)': 3 }], 'id'), ['COUNT(*)']);
});

test('answers are rows for the grid, a write message, or a plan', () => {
  assert.deepEqual(classifyResult([{ id: 1 }], 'id'), { kind: 'rows', columns: ['id'], rows: [{ id: 1 }] });
  assert.deepEqual(classifyResult({ message: 'updated 1 of 1 records', update_hashes: [1] }), { kind: 'message', message: 'updated 1 of 1 records', detail: { message: 'updated 1 of 1 records', update_hashes: [1] } });
  assert.equal(classifyResult({ statement: 'select', tables: [] }).kind, 'plan');
  assert.equal(isWrite('  update dev.dog SET a = 1'), true);
  assert.equal(isWrite('SELECT * FROM dev.dog'), false);
});
