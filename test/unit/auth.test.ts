import assert from 'node:assert/strict';
import { test } from 'node:test';
import { basicHeader, parseBasic } from '../../src/auth/credentials.js';
import { generatePassword, hashPassword, verifyPassword } from '../../src/auth/password.js';

test('Basic credentials parse, including colons in the password', () => {
  assert.deepEqual(parseBasic(basicHeader('admin', 'a:b:c')), { username: 'admin', password: 'a:b:c' });
  assert.equal(parseBasic(undefined), null);
  assert.equal(parseBasic('Bearer abc'), null);
  assert.equal(parseBasic('Basic ' + Buffer.from('nocolon').toString('base64')), null);
  assert.equal(parseBasic('Basic !!!'), null);
});

test('password hashes are salted scrypt and verify only the right password', async () => {
  const a = await hashPassword('pw1'), b = await hashPassword('pw1');
  assert.notEqual(a, b);
  assert.match(a, /^scrypt\$/);
  assert.ok(!a.includes('pw1'));
  assert.equal(await verifyPassword('pw1', a), true);
  assert.equal(await verifyPassword('pw2', a), false);
  assert.equal(await verifyPassword('pw1', 'garbage'), false);
});

test('generated passwords are long and random', () => {
  const a = generatePassword(), b = generatePassword();
  assert.ok(a.length >= 24 && a !== b);
});
