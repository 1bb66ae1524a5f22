import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Encoder } from 'cbor-x';
import { pack } from 'msgpackr';
import { bodyFormat, decodeBody, decodeRecordPayload, encodeBody, negotiate, toCsv } from '../../src/rest/content.js';
import { keyCandidates, resolvePath } from '../../src/rest/resource-path.js';
import { filterProblem, resolveFilter, resolveTopic, topicMatches } from '../../src/mqtt/topics.js';

test('Accept negotiation honours q-values and falls back to JSON', () => {
  assert.equal(negotiate(undefined), 'json');
  assert.equal(negotiate('*/*'), 'json');
  assert.equal(negotiate('application/cbor'), 'cbor');
  assert.equal(negotiate('application/x-msgpack'), 'msgpack');
  assert.equal(negotiate('text/csv;q=0.9, application/cbor;q=0.5'), 'csv');
  assert.equal(negotiate('text/html'), 'json');
  assert.equal(negotiate('text/csv;q=0, application/cbor'), 'cbor');
});

test('Content-Type picks the body codec; an unknown type is a 415', () => {
  assert.equal(bodyFormat('application/json; charset=utf-8'), 'json');
  assert.equal(bodyFormat('application/msgpack'), 'msgpack');
  assert.throws(() => bodyFormat('text/plain'), (e: any) => e.code === 'UNSUPPORTED_MEDIA_TYPE');
});

test('every codec round-trips a record, and malformed bytes are a 400', () => {
  const rec = { id: 1, name: 'Penny', tags: ['a', 'b'], nested: { x: 1.5 }, none: null };
  for (const f of ['json', 'cbor', 'msgpack'] as const) {
    assert.deepEqual(decodeBody(f, encodeBody(f, rec)), rec);
    assert.throws(() => decodeBody(f, Buffer.from([0xc1, 0xff, 0x00, 0x7b])), (e: any) => e.code === 'VALIDATION_FAILED');
  }
  assert.deepEqual(decodeBody('csv', Buffer.from('id,name,ok\n1,Penny,true\n')), { id: 1, name: 'Penny', ok: true });
});

test('CSV output has a header of every attribute and quotes what needs quoting', () => {
  assert.equal(toCsv([{ a: 1, b: 'x,y' }, { a: 2, c: { z: 1 } }]), 'a,b,c\r\n1,"x,y",\r\n2,,"{""z"":1}"\r\n');
});

test('MQTT payloads: JSON, CBOR and MessagePack objects are records; anything else is refused', () => {
  const rec = { id: 5, pressure: 1.25 };
  assert.deepEqual(decodeRecordPayload(Buffer.from(JSON.stringify(rec))), rec);
  assert.deepEqual(decodeRecordPayload(new Encoder({ useRecords: false }).encode(rec)), rec);
  assert.deepEqual(decodeRecordPayload(pack(rec)), rec);
  for (const bad of ['', 'hello', '[1,2]', '{"id":', '42', 'null']) {
    assert.throws(() => decodeRecordPayload(Buffer.from(bad)), (e: any) => e.code === 'VALIDATION_FAILED', bad);
  }
  assert.throws(() => decodeRecordPayload(Buffer.from('{"a":1}'), 'text/csv'), (e: any) => e.code === 'VALIDATION_FAILED');
});

const tables = new Set(['data\u0000dog', 'dev\u0000cat', 'data\u0000dev']);
const exists = (d: string, t: string) => tables.has(`${d}\u0000${t}`);

test('REST paths resolve to the explicit database first, then the default database data', () => {
  assert.deepEqual(resolvePath('/dog/1', false, exists), { database: 'data', table: 'dog', target: 'record', id: '1', format: null });
  assert.deepEqual(resolvePath('/dev/cat/a/b', false, exists), { database: 'dev', table: 'cat', target: 'record', id: 'a/b', format: null });
  assert.equal(resolvePath('/dog', false, exists).target, 'table');
  assert.equal(resolvePath('/dog/', false, exists).target, 'collection');
  assert.equal(resolvePath('/dog', true, exists).target, 'collection');
  assert.equal(resolvePath('/dog/ab/', false, exists).target, 'prefix');
  assert.deepEqual(resolvePath('/dog/1.csv', false, exists), { database: 'data', table: 'dog', target: 'record', id: '1', format: 'csv' });
  assert.deepEqual(resolvePath('/dog/.msgpack', true, exists), { database: 'data', table: 'dog', target: 'collection', id: null, format: 'msgpack' });
  // 'dev' is both a database (with table cat) and a table of data: /dev/cat is dev.cat.
  assert.equal(resolvePath('/dev/cat', false, exists).database, 'dev');
  assert.deepEqual(resolvePath('/dev/x', false, exists), { database: 'data', table: 'dev', target: 'record', id: 'x', format: null });
  assert.throws(() => resolvePath('/nope/1', false, exists), (e: any) => e.code === 'NOT_FOUND');
  assert.throws(() => resolvePath('/', false, exists), (e: any) => e.code === 'NOT_FOUND');
  assert.deepEqual(keyCandidates('12'), [12, '12']);
  assert.deepEqual(keyCandidates('012'), ['012']);
});

test('MQTT topic filters match like MQTT 3.1.1 section 4.7', () => {
  const cases: [string, string, boolean][] = [
    ['data/dog/#', 'data/dog/1', true], ['data/dog/#', 'data/dog', true], ['data/dog/+', 'data/dog/1', true],
    ['data/dog/+', 'data/dog/1/2', false], ['dog/+', 'dog/7', true], ['#', '$SYS/x', false], ['data/+/1', 'data/dog/1', true],
    ['data/dog/1', 'data/dog/1', true], ['data/dog/1', 'data/dog/2', false], ['data/dog', 'data/dog/1', false],
  ];
  for (const [f, t, m] of cases) assert.equal(topicMatches(f, t), m, `${f} vs ${t}`);
  assert.equal(filterProblem('a/#/b'), `'#' must be the last level of 'a/#/b'`);
  assert.equal(filterProblem('a/b+'), `'+' must be a whole level in 'a/b+'`);
  assert.equal(filterProblem('dog/#'), null);
  assert.deepEqual(resolveTopic('dog/1', exists), { database: 'data', table: 'dog', id: '1', explicitDatabase: false });
  assert.deepEqual(resolveTopic('dev/cat/9', exists), { database: 'dev', table: 'cat', id: '9', explicitDatabase: true });
  assert.deepEqual(resolveFilter('dev/cat/#', exists), { database: 'dev', table: 'cat', id: '#', explicitDatabase: true });
  assert.throws(() => resolveFilter('+/cat/#', exists), (e: any) => e.code === 'NOT_FOUND');
  assert.throws(() => resolveTopic('nope/1', exists), (e: any) => e.code === 'NOT_FOUND');
});
