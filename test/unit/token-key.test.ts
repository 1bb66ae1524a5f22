/**
 * The token key pair is made on first use, once, and a failure to make it is not remembered:
 * fixing the key directory lets the next token succeed without a restart.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Tokens } from '../../src/auth/tokens.js';

const TTL = { operationTtlMs: 60_000, refreshTtlMs: 120_000 };

test('the key pair is generated on first use, once, even for concurrent first tokens, and reused after a reopen', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'ferrydb-token-key-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const dir = join(root, 'keys');
  const tokens = Tokens.open(dir, TTL);
  assert.equal(existsSync(dir), false, 'opening makes no key');
  const [a, b] = await Promise.all([tokens.sign('ann', 'operation'), tokens.sign('bob', 'refresh')]);
  assert.equal(statSync(join(dir, '.jwtPrivate.key')).mode & 0o777, 0o600);
  assert.equal((await tokens.verify(a, 'operation')).username, 'ann');
  assert.equal((await tokens.verify(b, 'refresh')).username, 'bob');
  // Another instance on the same directory (a restart) reads the same pair: the old tokens still verify.
  assert.equal((await Tokens.open(dir, TTL).verify(a, 'operation')).username, 'ann');
});

test('a key directory that cannot be made fails the token, and the next token after the fix succeeds', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'ferrydb-token-key-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const dir = join(root, 'keys');
  writeFileSync(dir, 'a file where the key directory should be');
  const tokens = Tokens.open(dir, TTL);
  await assert.rejects(tokens.sign('ann', 'operation'));
  rmSync(dir);
  const token = await tokens.sign('ann', 'operation');
  assert.equal((await tokens.verify(token, 'operation')).username, 'ann');
});
