import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isOriginAllowed } from '../../src/http/cors.js';
import { indexKeysOf, INDEX_PREFIX_CHARS, sameIndexValue } from '../../src/records/index-keys.js';

test('CORS allows same-host origins and the access list only', () => {
  const policy = { enabled: true, accessList: ['https://studio.example'] };
  assert.equal(isOriginAllowed(policy, 'http://127.0.0.1:9926', '127.0.0.1:9925'), true);
  assert.equal(isOriginAllowed(policy, 'https://studio.example', '10.0.0.1:9925'), true);
  assert.equal(isOriginAllowed(policy, 'https://evil.example', '127.0.0.1:9925'), false);
  assert.equal(isOriginAllowed({ enabled: false, accessList: ['*'] }, 'http://127.0.0.1:1', '127.0.0.1:9925'), false);
  assert.equal(isOriginAllowed({ enabled: true, accessList: ['*'] }, 'https://any.example', 'h:1'), true);
  assert.equal(isOriginAllowed(policy, 'not a url', '127.0.0.1:9925'), false);
});

test('index keys cover scalars and array elements, long strings by prefix', () => {
  assert.deepEqual(indexKeysOf('a'), ['a']);
  assert.deepEqual(indexKeysOf(3), [3]);
  assert.deepEqual(indexKeysOf([1, 'x', 1, null]), [1, 'x']);
  assert.deepEqual(indexKeysOf(null), []);
  assert.deepEqual(indexKeysOf({ a: 1 }), []);
  assert.equal((indexKeysOf('x'.repeat(1000))[0] as string).length, INDEX_PREFIX_CHARS);
  assert.equal(sameIndexValue([1, 2], [1, 2]), true);
  assert.equal(sameIndexValue(1, 2), false);
});
